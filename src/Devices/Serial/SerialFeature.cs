using Glue.Core.Terminal;
using Glue.Core.Devices;
using Glue.Core.Firmware;
using Glue.Core.Machine;

[assembly: GlueDevice(typeof(Glue.Devices.Serial.SerialFeature))]

namespace Glue.Devices.Serial;

/// <summary>
/// COM1: a 16550A at port 0x3f8 on IRQ 4, wired to the host's stdout and stdin (to stderr only, when another device is
/// the console). A Linux kernel is told console=ttyS0 among the defaults (a virtio console's console=hvc0 comes later and wins).
/// </summary>
public sealed class SerialFeature : IPlatformDeviceFeature
{
    public const ushort Com1Port = 0x3f8;
    public const uint Com1Irq = 4;

    public string Name => "serial";

    public IReadOnlyList<DeviceOption> Options => [];

    public void Attach(IDevicePlatform machine, DeviceOptionValues values)
    {
        machine.AddLinuxDefault("console=ttyS0");
        // The terminal is ours unless another console claimed it (--console virtio); then our output goes to stderr.
        bool console = HostTerminal.TakeDefault(Name);
        var uart = new Uart16550(machine.InterruptLine(Com1Irq), new HostOutput(console ? HostOutput.Stdout : HostOutput.Stderr,
            () => machine.RequestExit(new VmExit(VmExitKind.Stopped, $"stopped: the console's reader went away (EPIPE on {(console ? "stdout" : "stderr")})"))));
        machine.Ports.Register(Com1Port, Uart16550.RegisterCount, uart);
        machine.AddSnapshotPart(Name, uart);
        machine.Describe(new PlatformDevice("COM1", "PNP0501", 0, [new IoPortResource(Com1Port, Uart16550.RegisterCount), new InterruptResource(Com1Irq)]));
        if (console)
            machine.Own(HostConsole.Start(uart.Receive,
                () => machine.RequestExit(new VmExit(VmExitKind.Stopped, "stopped from the console (Ctrl-A x)"))));
    }
}
