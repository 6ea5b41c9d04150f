using Glue.Core.Devices;
using Glue.Core.Machine;

[assembly: GlueDevice(typeof(Glue.Devices.I8042.I8042Feature))]

namespace Glue.Devices.I8042;

/// <summary>
/// The i8042 at ports 0x60 and 0x64: a guest resets the machine through it, and glue exits 0. A Linux kernel is told
/// to reboot through it (reboot=k) and that it is a plain controller with no AUX port and no multiplexing, so that
/// its driver does not probe for more.
/// </summary>
public sealed class I8042Feature : IPlatformDeviceFeature
{
    public string Name => "i8042";

    public IReadOnlyList<DeviceOption> Options => [];

    public void Attach(IDevicePlatform machine, DeviceOptionValues values)
    {
        machine.AddLinuxDefault("reboot=k i8042.noaux i8042.nomux i8042.dumbkbd");
        var controller = new I8042Controller(
            () => machine.RequestExit(new VmExit(VmExitKind.Reset, "guest reset through the i8042 controller")));
        machine.Ports.Register(I8042Controller.DataPort, 1, controller.Data);
        machine.Ports.Register(I8042Controller.CommandPort, 1, controller.Command);
        machine.AddSnapshotPart(Name, controller);
    }
}
