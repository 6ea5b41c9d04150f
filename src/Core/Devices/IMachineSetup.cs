using Glue.Core.Machine;

namespace Glue.Core.Devices;

/// <summary>
/// A feature that settles something about the machine before any device attaches: `glue run` calls
/// <see cref="Setup"/> on every feature that has it first, then attaches. The virtio console uses it to take the
/// terminal from the serial port and to tell a Linux kernel console=hvc0.
/// </summary>
public interface IMachineSetup
{
    /// <summary>
    /// Checks the option values without a machine and without opening anything, as <see cref="Setup"/> will find
    /// them, so that `glue run` refuses bad input before it opens /dev/kvm; throws <see cref="DeviceConfigException"/>.
    /// </summary>
    void Check(DeviceOptionValues values);

    void Setup(IVmServices machine, DeviceOptionValues values);
}
