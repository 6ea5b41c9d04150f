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
using Glue.Virtio;

namespace Glue;

/// <summary>`glue run`: build one VM from the options and the compiled-in devices, boot it, and wait for it to end.</summary>
internal static partial class RunCommand
{
    public static Command Create(Option<bool> verbose)
    {
        var kernel = new Option<string>("--kernel", "-k") { Description = "Kernel to boot: a bzImage, or an ELF64 (PVH note or 64-bit entry)", Required = true };
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

        var command = new Command("run", RunHelp.Description)
        {
            kernel, initrd, parameters, boot, cpus, memory, name,
        };
        var sandbox = new SandboxOptions();
        sandbox.AddTo(command);
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
            var request = new RunRequest(
                new MachineConfig(parse.GetValue(cpus), parse.GetValue(memory) ?? 512 * MemoryLayout.MiB),
                new BootRequest(parse.GetValue(kernel)!, parse.GetValue(initrd), parse.GetValue(parameters) ?? "", parse.GetValue(boot), LinuxDefaults: true),
                parse.GetValue(name) ?? $"guest-{Environment.ProcessId}",
                devices.Select(d => (d, DeviceOptions.Values(parse, deviceOptions[d], parse.GetValue(verbose), cpus: parse.GetValue(cpus)))).ToArray(),
                parse.GetValue(transport), transports, sandbox.Values(parse));
            return Execute(request, timeline);
        });
        return command;
    }

    private sealed record RunRequest(
        MachineConfig Machine, BootRequest Boot, string Name, (IDeviceFeature Feature, DeviceOptionValues Values)[] Devices,
        string? VirtioTransport, IVirtioTransportFeature[] Transports, (SeccompMode Mode, UserIds? User) Sandbox);

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
            using var vm = VirtualMachine.Create(request.Machine, timeline);
            if (request.Sandbox.User is { } user) control.GiveTo(user.Uid, user.Gid);
            SandboxOptions.Drop(request.Sandbox.User);
            stopping.Machine = vm;
            Attach(vm, request.Devices, unattached, transport);
            AttachTestDevices(vm);
            if (vm.Boot(boot).Linux && VirtualMachine.EmulatedKernelMode) Console.Error.WriteLine($"glue: {RunHelp.PvmLinuxWarning}");
            control.Serve(vm);
            if (stopping.Signal is { } early) vm.RequestExit(new VmExit(VmExitKind.Stopped, $"stopped by {early}"));
            var exit = vm.Run();
            if (exit.Kind == VmExitKind.Failure) return ErrorReport.Fail(exit.Message, exit.ExitCode);
            if (timeline.Enabled) Console.Error.WriteLine($"glue: {request.Name}: {exit.Message}");
            return exit.ExitCode;
        }
        catch (Exception e) when (e is MachineConfigException or BootException or FirmwareException or DeviceConfigException or ControlNameException
            or RuntimeDirectoryException)
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
                    platform.Attach(vm, values);
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
