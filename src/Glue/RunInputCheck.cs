using Glue.Core.Boot;
using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Core.Memory;

namespace Glue;

/// <summary>
/// What `glue run` checks before it opens or binds anything, /dev/kvm included: the VM's shape, the options of the
/// devices that set up the machine (the others are checked as they are made, also before KVM), and the kernel and
/// initrd, read here and placed in the guest's RAM. So bad input is exit 2 and one line on any host, with or without
/// KVM, and leaves nothing behind. Each check is the one the VM's own code makes, called early.
/// </summary>
internal static class RunInputCheck
{
    /// <summary>Throws the exceptions `glue run` reports as bad input; returns the kernel and initrd, ready to load (null for a restore, which boots nothing).</summary>
    public static BootImage? Check(MachineConfig machine, BootRequest? boot, IEnumerable<(IDeviceFeature Feature, DeviceOptionValues Values)> devices)
    {
        // KVM's own bound on vCPUs is known only once /dev/kvm is open: VirtualMachine.Create checks the shape against it again.
        machine.Validate(maxVcpus: int.MaxValue, MachineConfig.HostMemoryBytes());
        foreach (var (feature, values) in devices) (feature as IMachineSetup)?.Check(values);
        return boot is null ? null : BootImage.Read(boot, MemoryLayout.RamRanges(machine.MemoryBytes));
    }
}
