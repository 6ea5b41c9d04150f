using Glue.Core.Firmware.Acpi;
using Glue.Core.Memory;

namespace Glue.Core.Firmware;

/// <summary>
/// Writes what a PC's firmware leaves a Linux guest to find: the MP table at <see cref="MemoryLayout.MpTable"/>
/// and the ACPI tables from <see cref="MemoryLayout.AcpiTables"/>, RSDP first (where Linux's scan of
/// 0xe0000-0xfffff finds it), then XSDT, FADT, MADT, the MCFG when the machine has PCI, and DSDT, each on a 16-byte boundary.
/// </summary>
public static class FirmwareTables
{
    /// <summary>The most vCPUs the tables describe: as many processor entries as fit in the MP table's KiB.</summary>
    public const int MaxCpus = MpTable.MaxCpus;

    /// <summary>KVM's in-kernel I/O APIC has 24 inputs (KVM_IOAPIC_NUM_PINS), GSIs 0-23.</summary>
    public const int IoApicPins = 24;

    private const ulong TableAlignment = 16;

    /// <summary>Writes the MP and ACPI tables for <paramref name="platform"/>; returns the RSDP's address.</summary>
    /// <exception cref="FirmwareException">The tables do not fit where they go.</exception>
    public static GuestAddress Write(GuestMemory memory, PlatformDescription platform)
    {
        if (platform.Cpus < 1) throw new ArgumentException($"a platform has at least one vCPU, not {platform.Cpus}", nameof(platform));
        if (platform.Cpus > MaxCpus)
        {
            throw new FirmwareException($"{platform.Cpus} vCPUs need an MP table of {MpTable.LengthFor(platform.Cpus)} bytes; " +
                $"its {MpTable.Capacity} bytes in the EBDA hold at most {MaxCpus} vCPUs");
        }
        var gsi = platform.Devices.SelectMany(d => d.Resources).OfType<InterruptResource>().FirstOrDefault(r => r.Gsi >= IoApicPins);
        if (gsi is not null) throw new ArgumentException($"GSI {gsi.Gsi} is not one of the I/O APIC's {IoApicPins} inputs", nameof(platform));

        // Build everything before writing anything, so a platform that does not fit leaves guest memory untouched.
        byte[] madt = Madt.Build(platform.Cpus, IsaIrqsInUse(platform));
        byte[] dsdt = Dsdt.Build(platform.Devices);
        byte[]? mcfg = platform.Ecam is { } ecam ? Mcfg.Build(ecam) : null;
        GuestAddress rsdpAt = MemoryLayout.AcpiTables;
        GuestAddress xsdtAt = After(rsdpAt, Rsdp.Length);
        GuestAddress fadtAt = After(xsdtAt, Xsdt.LengthFor(mcfg is null ? 2 : 3));
        GuestAddress madtAt = After(fadtAt, Fadt.Length);
        GuestAddress mcfgAt = After(madtAt, madt.Length);
        GuestAddress dsdtAt = mcfg is null ? mcfgAt : After(mcfgAt, mcfg.Length);
        GuestAddress end = dsdtAt.Offset((ulong)dsdt.Length);
        if (end > MemoryLayout.AcpiTablesEnd)
        {
            throw new FirmwareException($"the ACPI tables for {platform.Cpus} vCPUs and {platform.Devices.Count} devices need " +
                $"0x{end.Value - rsdpAt.Value:x} bytes from {rsdpAt}; 0x{MemoryLayout.AcpiTablesEnd.Value - rsdpAt.Value:x} fit");
        }

        memory.Write(MemoryLayout.MpTable, MpTable.Build(platform.Cpus));
        memory.Write(rsdpAt, Rsdp.Build(xsdtAt));
        memory.Write(xsdtAt, Xsdt.Build(mcfg is null ? [fadtAt, madtAt] : [fadtAt, madtAt, mcfgAt]));
        if (mcfg is not null) memory.Write(mcfgAt, mcfg);
        memory.Write(fadtAt, Fadt.Build(dsdtAt));
        memory.Write(madtAt, madt);
        memory.Write(dsdtAt, dsdt);
        return rsdpAt;
    }

    /// <summary>The I/O APIC's id: the first after the local APICs' ids 0 to cpus-1, in the MP table and the MADT alike.</summary>
    internal static byte IoApicId(int cpus) => checked((byte)cpus);

    // IRQ0 (KVM's in-kernel PIT) and the ISA IRQs (GSIs below 16) the devices use.
    private static byte[] IsaIrqsInUse(PlatformDescription platform) =>
        [.. platform.Devices.SelectMany(d => d.Resources).OfType<InterruptResource>()
            .Where(r => r.Gsi < 16).Select(r => (byte)r.Gsi).Append((byte)0).Distinct().Order()];

    private static GuestAddress After(GuestAddress table, int length) => table.Offset((ulong)length).AlignUp(TableAlignment);
}
