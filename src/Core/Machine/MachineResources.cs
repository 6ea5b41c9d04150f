using Glue.Core.Memory;

namespace Glue.Core.Machine;

/// <summary>
/// Everything a machine shares out among its devices, owned by the machine so that transports and devices hold no
/// placement state of their own (as kvmtool and Firecracker keep it): the platform MMIO windows, the PCI 32-bit and
/// 64-bit BAR windows, the PCI slots of bus 0, the I/O APIC inputs and the GSIs for MSI routes.
/// </summary>
public sealed class MachineResources(ulong memoryBytes)
{
    /// <summary>KVM_MAX_IRQ_ROUTES (include/linux/kvm_host.h, x86: 4096): GSIs above it cannot be routed.</summary>
    public const uint MaxGsi = 4095;

    /// <summary>The first GSI past the in-kernel I/O APIC's 24 pins (KVM_IOAPIC_NUM_PINS): MSI routes start here.</summary>
    public const uint FirstMsiGsi = 24;

    /// <summary>4 KiB windows for platform MMIO devices (virtio-mmio), from <see cref="MemoryLayout.DeviceWindows"/>.</summary>
    public AddressAllocator PlatformMmio { get; } =
        new("the platform MMIO windows", MemoryLayout.DeviceWindows.Value, MemoryLayout.DeviceWindowsSize);

    /// <summary>BARs below 4 GiB, inside the host bridge's 32-bit window.</summary>
    public AddressAllocator PciMemory32 { get; } =
        new("the PCI 32-bit memory window", MemoryLayout.PciMemory32.Value, MemoryLayout.PciMemory32Size);

    /// <summary>64-bit BARs, inside the host bridge's window above RAM.</summary>
    public AddressAllocator PciMemory64 { get; } =
        new("the PCI 64-bit memory window", MemoryLayout.PciMemory64(memoryBytes).Value, MemoryLayout.PciMemory64Size);

    /// <summary>Device numbers 1-31 on bus 0 (00:00.0 is the host bridge).</summary>
    public IdPool PciSlots { get; } = new("PCI slots on bus 0", Enumerable.Range(1, 31).Select(s => (uint)s));

    /// <summary>
    /// I/O APIC inputs for devices without a fixed ISA IRQ (COM1 keeps 4, the i8042 1): the ones a PC leaves free
    /// for add-in devices, 5, 6, 7, 9, 10, 11, then 16-23, which have no ISA meaning at all.
    /// </summary>
    public IdPool IoApicGsis { get; } = new("interrupt lines (I/O APIC inputs)", [5, 6, 7, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);

    /// <summary>GSIs that are MSI routes in the machine's routing table (one per MSI-X vector).</summary>
    public IdPool MsiGsis { get; } = new("MSI routes (GSIs)", Enumerable.Range((int)FirstMsiGsi, (int)(MaxGsi - FirstMsiGsi + 1)).Select(g => (uint)g));
}
