using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Core.Terminal;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.VirtioConsole.VirtioConsoleFeature))]

namespace Glue.Devices.VirtioConsole;

/// <summary>
/// `--console serial|virtio`: with `virtio` the guest's console is a virtio-console device wired to this
/// terminal (stdin in raw mode, Ctrl-A x quits), the serial port's output goes to stderr, and a Linux kernel is
/// told console=hvc0 (after Glue's console=ttyS0, so it wins). With `serial` (the default) there is no
/// virtio console.
/// </summary>
public sealed partial class VirtioConsoleFeature : IVirtioDeviceFeature, IMachineSetup
{
    public const string ConsoleOption = "--console";
    private VirtioConsoleDevice? _device;
    private bool _setUp;

    public string Name => "virtio-console";

    public IReadOnlyList<DeviceOption> Options { get; } =
        [new(ConsoleOption, "Which device is the interactive console: serial (default) or virtio (then the serial port writes to stderr)")];

    public void Check(DeviceOptionValues values) => IsVirtio(values.Single(ConsoleOption));

    public void Setup(IVmServices machine, DeviceOptionValues values)
    {
        _setUp = true;
        if (!IsVirtio(values.Single(ConsoleOption))) return;
        HostTerminal.Claim(Name);
        machine.AddKernelParameter("console=hvc0");
        _device = new VirtioConsoleDevice(new HostOutput(HostOutput.Stdout,
            () => machine.RequestExit(new VmExit(VmExitKind.Stopped, "stopped: the console's reader went away (EPIPE on stdout)"))));
        machine.Own(HostConsole.Start(_device.Receive,
            () => machine.RequestExit(new VmExit(VmExitKind.Stopped, "stopped from the console (Ctrl-A x)"))));
    }

    /// <summary>
    /// The device Setup made, for `glue run`. Without a machine (`glue device console`, serving it to another VMM)
    /// `--console virtio` (or no value) makes it here, wired to this terminal the same way; Ctrl-A x then ends
    /// glue as SIGTERM does.
    /// </summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        if (_setUp) return _device is null ? [] : [_device];
        // No value: `glue device console` asked for the device by its name.
        string? value = values.Single(ConsoleOption);
        if (!IsVirtio(value == "" ? "virtio" : value)) return [];
        HostTerminal.Claim(Name);
        var device = new VirtioConsoleDevice(new HostOutput(HostOutput.Stdout, () => SignalSelf(SIGTERM)));
        HostConsole.Start(device.Receive, () => SignalSelf(SIGTERM));
        return [device];
    }

    /// <summary>True for `--console virtio`, false for `serial` or no --console; anything else is refused.</summary>
    private static bool IsVirtio(string? value) => value switch
    {
        null or "serial" => false,
        "virtio" => true,
        _ => throw new DeviceConfigException($"--console {value}: expected serial or virtio"),
    };

    private const int SIGTERM = 15;

    private static void SignalSelf(int signal) => Kill(Environment.ProcessId, signal);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
