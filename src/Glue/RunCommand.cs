using System.CommandLine;
using System.Runtime.InteropServices;
using Glue.Core.Boot;
using Glue.Core.Control;
using Glue.Core.Devices;
using Glue.Core.Firmware;
using Glue.Core.Interop;
using Glue.Core.Kvm;
using Glue.Core.Machine;
using Glue.Core.Memory;
using Glue.Core.Sandbox;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Microsoft.Win32.SafeHandles;

namespace Glue;

/// <summary>`glue run`: build one VM from the options and the compiled-in devices, boot it, and wait for it to end.</summary>
internal static partial class RunCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var kernel = new Option<string?>("--kernel", "-k") { Description = "Kernel to boot: a bzImage, or an ELF64 (PVH note or 64-bit entry); required unless --restore" };
        var initrd = new Option<string?>("--initrd", "-i") { Description = "Initial ramdisk, handed to the kernel as a boot module" };
        var parameters = new Option<string?>("--params", "-p")
        {
            Description = $"Kernel command line. A Linux kernel gets it after Glue's defaults (\"{KernelCommandLine.LinuxDefaults}\" and what the devices add, such as console=ttyS0), so it extends them and a repeated parameter overrides; other kernels get it as it is",
        };
        var boot = new Option<BootProtocol>("--boot")
        {
            CustomParser = RunArguments.Boot,
            HelpName = "auto|linux64|pvh",
            Description = "How to enter the kernel: linux64 (64-bit boot protocol with the zero page) or pvh (the PVH note's 32-bit entry); auto (the default) picks linux64 for Linux kernels",
        };
        // Completion offers the names --boot takes, not BootProtocol's member names.
        boot.CompletionSources.Clear();
        boot.CompletionSources.Add("auto", "linux64", "pvh");
        var cpus = new Option<int>("--cpus", "-c") { Description = $"Number of vCPUs: at most {FirmwareTables.MaxCpus} (what the MP table holds) and what KVM allows", DefaultValueFactory = _ => 1, CustomParser = RunArguments.Cpus };
        var memory = new Option<ulong?>("--mem", "-m")
        {
            Description = "Guest RAM: MiB, or with a suffix K, M, G, T (512M, 2G); default 512M", HelpName = "SIZE", CustomParser = RunArguments.Memory,
        };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the VM (default guest-<pid>)" };
        var restore = new Option<string?>(RestoreOption)
        {
            Description = "Continue the VM that glue snapshot wrote to DIR, instead of booting a kernel (docs/snapshot.md); the machine, kernel and memory come from DIR",
            HelpName = "DIR",
        };
        var paused = new Option<bool>("--paused") { Description = "With --restore: leave the restored VM paused until glue resume" };

        var command = new Command("run", RunHelp.Description)
        {
            kernel, initrd, parameters, boot, cpus, memory, name, restore, paused,
        };
        var sandbox = new SandboxOptions();
        sandbox.AddTo(command);
        // --restore takes the machine and what was booted from the snapshot.
        command.Validators.Add(result =>
        {
            bool restoring = result.GetResult(restore) is not null;
            if (!restoring && result.GetValue(paused)) result.AddError("--paused goes with --restore DIR");
            if (restoring && new Option[] { kernel, initrd, parameters, boot, cpus, memory }.FirstOrDefault(o => result.GetResult(o) is not null) is { } taken)
                result.AddError($"--restore takes {taken.Name} from the snapshot: leave {taken.Name} out");
        });
        var devices = DeviceRegistry.CreateDevices();
        var transports = devices.OfType<IVirtioTransportFeature>().ToArray();
        var transport = VirtioTransportOption.Create(transports);
        command.Options.Add(transport);
        var deviceOptions = devices.ToDictionary(d => d, d => d.Options.Select(o => DeviceOptions.For(d, o)).ToArray());
        foreach (var option in deviceOptions.Values.SelectMany(o => o)) command.Options.Add(option);

        command.SetAction(parse =>
        {
            var timeline = new StartupTimeline(parse.GetValue(verbose));
            timeline.Mark("process start");
            string? restoreFrom = parse.GetValue(restore);
            // Checked as the command runs, not as it is parsed: `glue run -V` and `glue run --help` need no kernel (ArgumentReading).
            if (restoreFrom is null && parse.GetValue(kernel) is null) return ErrorReport.Usage("Option '--kernel' is required. (see glue --help)");
            SnapshotState? snapshot = null;
            SafeFileHandle? snapshotMemory = null;
            if (restoreFrom is not null)
            {
                // The snapshot is read and checked whole before anything is opened or bound.
                try
                {
                    (snapshot, snapshotMemory) = SnapshotDirectory.Read(RestoreOption, restoreFrom, Origin);
                }
                catch (SnapshotException e)
                {
                    return ErrorReport.Usage(e.Message);
                }
            }
            using var memoryFile = snapshotMemory;
            var machine = snapshot?.Machine ?? new MachineConfig(parse.GetValue(cpus), parse.GetValue(memory) ?? 512 * MemoryLayout.MiB);
            var request = new RunRequest(
                machine,
                snapshot is null ? new BootRequest(parse.GetValue(kernel)!, parse.GetValue(initrd), parse.GetValue(parameters) ?? "", parse.GetValue(boot), LinuxDefaults: true) : null,
                parse.GetValue(name) ?? $"guest-{Environment.ProcessId}",
                devices.Select(d => (d, DeviceOptions.Values(parse, deviceOptions[d], parse.GetValue(verbose), cpus: machine.Cpus))).ToArray(),
                parse.GetValue(transport), transports, sandbox.Values(parse),
                snapshot is null ? null : new RestoreRequest(snapshot, memoryFile!, parse.GetValue(paused)));
            return Execute(request, timeline);
        });
        return command;
    }

    private const string RestoreOption = "--restore";

    /// <summary>The glue that writes and reads snapshots: a snapshot is restored only by a glue of the same manifest.</summary>
    internal static SnapshotOrigin Origin => new(VersionText.Version, DeviceRegistry.ManifestName);

    private sealed record RunRequest(
        MachineConfig Machine, BootRequest? Boot, string Name, (IDeviceFeature Feature, DeviceOptionValues Values)[] Devices,
        string? VirtioTransport, IVirtioTransportFeature[] Transports, (SeccompMode Mode, UserIds? User) Sandbox, RestoreRequest? Restore);

    /// <summary>A checked snapshot, its memory file (open), and whether to hold the vCPUs after restoring.</summary>
    private sealed record RestoreRequest(SnapshotState State, SafeFileHandle Memory, bool Paused);

    private static int Execute(RunRequest request, StartupTimeline timeline)
    {
        try
        {
            // Registered first, so disposed last: a signal while the VM is set up or torn down (disks flushing)
            // is held off rather than killing the process half way.
            var stopping = new StopRequest();
            using var sigterm = StopOn(PosixSignal.SIGTERM, stopping);
            using var sigint = StopOn(PosixSignal.SIGINT, stopping);
            // Every input is checked before anything is opened or bound (RunInputCheck); then the control socket and the
            // devices that need no machine are made, and /dev/kvm is opened last, so bad input never reaches KVM.
            var transport = VirtioTransportOption.Choose(request.VirtioTransport, request.Transports);
            var boot = RunInputCheck.Check(request.Machine, request.Boot, request.Devices);
            // The process filter before glue starts a thread, --user once everything privileged is open (docs/security.md).
            SandboxOptions.Start(request.Sandbox.Mode, request.Sandbox.User);
            using var control = ControlServer.Bind(request.Name);
            using var unattached = UnattachedDevices.Make(request.Devices);
            using var vm = VirtualMachine.Create(request.Machine, timeline, request.Restore?.Memory);
            if (request.Sandbox.User is { } user) control.GiveTo(user.Uid, user.Gid);
            SandboxOptions.Drop(request.Sandbox.User);
            stopping.Machine = vm;
            Attach(vm, request.Devices, unattached, transport);
            AttachTestDevices(vm);
            if (request.Restore is { } restore) vm.Restore(restore.State, RestoreOption, restore.Paused);
            else if (vm.Boot(boot!).Linux && VirtualMachine.EmulatedKernelMode) Console.Error.WriteLine($"glue: {RunHelp.PvmLinuxWarning}");
            control.Serve(vm, Origin);
            if (stopping.Signal is { } early) vm.RequestExit(new VmExit(VmExitKind.Stopped, $"stopped by {early}"));
            var exit = vm.Run();
            if (exit.Kind == VmExitKind.Failure) return ErrorReport.Fail(exit.Message, exit.ExitCode);
            if (timeline.Enabled) Console.Error.WriteLine($"glue: {request.Name}: {exit.Message}");
            return exit.ExitCode;
        }
        catch (Exception e) when (e is MachineConfigException or BootException or FirmwareException or DeviceConfigException or ControlNameException
            or RuntimeDirectoryException or SnapshotException)
        {
            return ErrorReport.Usage(e.Message);
        }
        catch (Exception e) when (e is KvmUnavailableException or NativeError or SandboxException)
        {
            return ErrorReport.Fail(e.Message, ExitCodes.VmFailed);
        }
        catch (Exception e)
        {
            if (timeline.Enabled) Console.Error.WriteLine(e.ToString().ReplaceLineEndings(" | "));
            return ErrorReport.Fail($"internal error: {e.GetType().Name}: {e.Message}", ExitCodes.VmFailed);
        }
    }

    /// <summary>
    /// Platform devices attach themselves; virtio devices are made from their options and placed by the build's
    /// virtio transport chosen for this VM, so neither side knows the other.
    /// </summary>
    private static void Attach(
        VirtualMachine vm, (IDeviceFeature Feature, DeviceOptionValues Values)[] devices, UnattachedDevices unattached, IVirtioTransportFeature? transport)
    {
        foreach (var (feature, values) in devices) (feature as IMachineSetup)?.Setup(vm, values);
        foreach (var (feature, values) in devices)
        {
            switch (feature)
            {
                case IPlatformDeviceFeature platform:
                    int parts = vm.SnapshotPartCount;
                    platform.Attach(vm, values);
                    if (vm.SnapshotPartCount == parts) vm.HasNoSnapshot(platform.Name);
                    break;
                case IVirtioDeviceFeature virtio:
                    foreach (var device in unattached.Take(virtio, values))
                    {
                        if (transport is null) throw new DeviceConfigException($"this build has the {virtio.Name} device but no virtio transport to put it on (choose one with {VirtioTransportOption.Name})");
                        transport.Attach(vm, device);
                    }
                    break;
            }
        }
    }

    /// <summary>Test-only devices: implemented only in builds of tests/build/SeccompTrigger, and otherwise compiled away.</summary>
    static partial void AttachTestDevices(VirtualMachine vm);

    /// <summary>SIGTERM and SIGINT end the VM the way `glue stop` does.</summary>
    private static PosixSignalRegistration StopOn(PosixSignal signal, StopRequest stopping) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            stopping.Signal ??= signal;
            stopping.Machine?.RequestExit(new VmExit(VmExitKind.Stopped, $"stopped by {signal}"));
        });

    /// <summary>The first stop signal, and the VM it stops once there is one.</summary>
    private sealed class StopRequest
    {
        public volatile VirtualMachine? Machine;
        public PosixSignal? Signal;
    }
}
