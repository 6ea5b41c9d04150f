using Glue.Core.Machine;

namespace Glue.Core.Devices;

/// <summary>
/// A feature that settles something about the machine before any device attaches: `glue run` calls
/// <see cref="Setup"/> on every feature that has it first, then attaches. The virtio console uses it to take the
/// terminal from the serial port and to tell a Linux kernel console=hvc0.
/// </summary>
public interface IMachineSetup
{
    void Setup(VirtualMachine machine, DeviceOptionValues values);
}
