using System.Runtime.InteropServices;
using Glue.Core.Bus;
using Glue.Core.Firmware;
using Glue.Core.Pci;

namespace Glue.Core.Machine;

/// <summary>
/// The part of a machine devices and transports are placed on: beyond what every device reaches
/// (<see cref="IVmServices"/>), the buses, the resources to share out, the interrupt wiring inside KVM, and the
/// firmware's device list. Not the machine's life cycle (boot, run, pause): a device never needs that.
/// <see cref="VirtualMachine"/> implements it.
/// </summary>
public interface IDevicePlatform : IVmServices
{
    AddressBus Ports { get; }

    AddressBus Mmio { get; }

    /// <summary>MMIO windows, PCI BAR windows, PCI slots and GSIs.</summary>
    MachineResources Resources { get; }

    /// <summary>The machine's GSI routing table, where MSI routes are added.</summary>
    GsiRouting Routing { get; }

    /// <summary>PCI bus 0 and its host bridge; the machine has a PCI bus from the first use of this on.</summary>
    PciBus Pci { get; }

    /// <summary>Guest writes to <paramref name="address"/> (of <paramref name="datamatch"/>, if given; any width when <paramref name="length"/> is 0) signal <paramref name="eventFd"/> inside KVM.</summary>
    void AssignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch);

    /// <summary>Undoes an <see cref="AssignIoEventFd"/> with the same arguments (a BAR that moved).</summary>
    void DeassignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch);

    /// <summary>Writes to <paramref name="eventFd"/> raise <paramref name="gsi"/> inside KVM (an I/O APIC pin or an MSI route).</summary>
    void AssignIrqFd(SafeHandle eventFd, uint gsi);

    /// <summary>Lists a device in the ACPI DSDT, where the guest finds it with its resources.</summary>
    void Describe(PlatformDevice device);
}
