using Glue.Core.Bus;

namespace Glue.Core.Pci;

/// <summary>
/// One memory BAR of a function: its register index, a power-of-2 size of at least 4 KiB, and the region that
/// answers accesses inside it. The bus puts the region on the MMIO bus where the BAR points while memory decode
/// is on, and calls <see cref="Mapped"/> / <see cref="Unmapped"/> so that the function can move what KVM knows
/// of the BAR (its ioeventfds) along with it. A 64-bit BAR takes registers <see cref="Index"/> and Index + 1.
/// </summary>
public sealed class PciBar
{
    public const ulong MinimumSize = 0x1000;

    public PciBar(int index, ulong size, IBusDevice region, bool is64Bit, bool prefetchable = false)
    {
        if (index < 0 || index > (is64Bit ? 4 : 5)) throw new ArgumentOutOfRangeException(nameof(index), $"BAR {index} does not exist");
        if (size < MinimumSize || (size & (size - 1)) != 0 || (!is64Bit && size > 1UL << 31))
            throw new ArgumentOutOfRangeException(nameof(size), $"a BAR of 0x{size:x} bytes: a power of 2 from 4 KiB (32-bit BARs to 2 GiB)");
        Index = index;
        Size = size;
        Region = region;
        Is64Bit = is64Bit;
        Prefetchable = prefetchable;
    }

    public int Index { get; }

    public ulong Size { get; }

    public IBusDevice Region { get; }

    public bool Is64Bit { get; }

    public bool Prefetchable { get; }

    /// <summary>The BAR now decodes at this address (called on the vCPU thread that wrote config space).</summary>
    public Action<ulong>? Mapped { get; init; }

    /// <summary>The BAR no longer decodes at this address.</summary>
    public Action<ulong>? Unmapped { get; init; }

    /// <summary>The low type bits of the BAR register: memory space, 32 or 64-bit, prefetchable (PCI 3.0, 6.2.5.1).</summary>
    internal uint TypeBits => (Is64Bit ? PciRegisters.PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) | (Prefetchable ? PciRegisters.PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}
