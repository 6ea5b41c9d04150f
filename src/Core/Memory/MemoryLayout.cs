namespace Glue.Core.Memory;

/// <summary>
/// Where things live in guest-physical space. RAM starts at 0; if it would reach into the 32-bit MMIO gap
/// (device windows, IOAPIC, LAPIC below 4 GiB) the rest of it continues at 4 GiB, as kvmtool and Firecracker do.
/// </summary>
public static class MemoryLayout
{
    public const ulong MiB = 1UL << 20;
    public const ulong GiB = 1UL << 30;

    // Boot structures in low memory, below the real-mode EBDA.
    public static readonly GuestAddress BootGdt = new(0x500);
    public static readonly GuestAddress BootIdt = new(0x520);
    public static readonly GuestAddress PvhStartInfo = new(0x6000);
    public static readonly GuestAddress PvhModuleList = new(0x6040);
    public static readonly GuestAddress PvhMemoryMap = new(0x6100);
    public static readonly GuestAddress ZeroPage = new(0x7000);
    public static readonly GuestAddress BootStackTop = new(0x8ff0);
    public static readonly GuestAddress PageTables = new(0x9000);
    public static readonly GuestAddress CommandLine = new(0x20000);
    public const int CommandLineMax = 0x10000;

    /// <summary>The extended BIOS data area to the end of the BIOS ROM: reserved in every memory map.</summary>
    public static readonly GuestAddress EbdaStart = new(0x9fc00);

    /// <summary>The MP floating pointer and configuration table: the first KiB of the EBDA, where Linux scans (MP spec 1.4, 4).</summary>
    public static readonly GuestAddress MpTable = EbdaStart;

    /// <summary>RSDP and the ACPI tables after it, in the BIOS area Linux scans for "RSD PTR " (ACPI 6.5, 5.2.5.1).</summary>
    public static readonly GuestAddress AcpiTables = new(0xe0000);
    public static readonly GuestAddress AcpiTablesEnd = new(0x100000);
    public static readonly GuestAddress HighMemoryStart = new(MiB);

    /// <summary>Default load address for kernels that do not say otherwise.</summary>
    public static readonly GuestAddress KernelStart = new(MiB);

    /// <summary>The 32-bit MMIO gap: 768 MiB below 4 GiB.</summary>
    public static readonly GuestAddress MmioGapStart = new(4 * GiB - 768 * MiB);
    public static readonly GuestAddress MmioGapEnd = new(4 * GiB);

    /// <summary>Platform device MMIO windows (virtio-mmio: 4 KiB each) from the start of the gap, as Firecracker places them.</summary>
    public static readonly GuestAddress DeviceWindows = MmioGapStart;
    public const ulong DeviceWindowsSize = 64 * 0x1000;

    /// <summary>The PCI host bridge's 32-bit memory window, where BARs below 4 GiB are placed.</summary>
    public static readonly GuestAddress PciMemory32 = new(0xe000_0000);
    public const ulong PciMemory32Size = 256 * MiB;

    /// <summary>
    /// ECAM (PCI Express Base 4.0, 7.2.2): 4 KiB of configuration space per function, bus 0 only (32 devices x 8
    /// functions), as the MCFG describes it; reserved in the memory map, since Linux ignores an ECAM that is not.
    /// </summary>
    public static readonly GuestAddress PciEcam = new(0xf000_0000);
    public const ulong PciEcamSize = MiB;

    /// <summary>The PCI host bridge's 64-bit memory window: the first 64 GiB boundary at or above the end of RAM.</summary>
    public static GuestAddress PciMemory64(ulong memoryBytes)
    {
        ulong ramEnd = RamRanges(memoryBytes)[^1] is var (start, size) ? start.Value + size : 0;
        return new GuestAddress(Math.Max(PciMemory64Size, (ramEnd + PciMemory64Size - 1) & ~(PciMemory64Size - 1)));
    }

    public const ulong PciMemory64Size = 64 * GiB;

    public static readonly GuestAddress IoapicBase = new(0xfec00000);
    public static readonly GuestAddress LapicBase = new(0xfee00000);

    // Pages Intel VMX needs for real-mode emulation, inside the gap and clear of the IOAPIC/LAPIC.
    public static readonly GuestAddress VmxIdentityMap = new(0xfeffc000);
    public static readonly GuestAddress VmxTss = new(0xfeffd000);

    /// <summary>The RAM ranges for a guest of <paramref name="size"/> bytes.</summary>
    public static IReadOnlyList<(GuestAddress Start, ulong Size)> RamRanges(ulong size)
    {
        ulong low = Math.Min(size, MmioGapStart.Value);
        return size <= low
            ? [(new GuestAddress(0), low)]
            : [(new GuestAddress(0), low), (MmioGapEnd, size - low)];
    }
}
