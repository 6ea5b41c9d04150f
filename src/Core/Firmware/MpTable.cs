using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Firmware;

/// <summary>
/// The Intel MultiProcessor Specification 1.4 tables at <see cref="MemoryLayout.MpTable"/>: the floating pointer
/// structure (4.1) and, right after it, the configuration table (4.2) with its entries (4.3): the vCPUs, the ISA
/// bus, KVM's I/O APIC and how interrupts reach them. Guests that find no MADT (Linux with acpi=off) boot from
/// it. Names follow Linux's arch/x86/include/asm/mpspec_def.h.
/// </summary>
internal static class MpTable
{
    /// <summary>Everything must fit in the first KiB of the EBDA, where Linux looks for the floating pointer.</summary>
    public const int Capacity = 1024;

    private const int FloatingPointerLength = 16, HeaderLength = 44;
    private const int ProcessorEntryLength = 20, EntryLength = 8;
    // Processor entries, then the bus, the I/O APIC, 15 I/O interrupts (ISA IRQs 0-15 but 2) and 2 local ones.
    private const int IsaIrqEntries = 15;
    private const int FixedLength = FloatingPointerLength + HeaderLength + (2 + IsaIrqEntries + 2) * EntryLength;

    /// <summary>The most vCPUs whose processor entries still fit in <see cref="Capacity"/>.</summary>
    public const int MaxCpus = (Capacity - FixedLength) / ProcessorEntryLength;

    private const byte SpecRev = 4; // MP 1.4

    // struct mpf_intel
    private const int mpf_physptr = 4, mpf_length = 8, mpf_specification = 9, mpf_checksum = 10;
    // struct mpc_table
    private const int mpc_length = 4, mpc_spec = 6, mpc_checksum = 7, mpc_oem = 8, mpc_productid = 16, mpc_oemcount = 34, mpc_lapic = 36;

    private const byte MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4;
    private const byte CPU_ENABLED = 1, CPU_BOOTPROCESSOR = 2;
    private const byte MPC_APIC_USABLE = 1;
    private const byte mp_INT = 0, mp_NMI = 1, mp_ExtINT = 3;
    private const ushort MP_IRQPOL_DEFAULT = 0; // polarity and trigger conform to the bus: ISA's edge, active high

    // The versions KVM's in-kernel local APIC and I/O APIC report in their version registers.
    private const byte LapicVersion = 0x14, IoApicVersion = 0x11;
    // Linux reads only the APIC id, version and flags of a processor entry (MP_processor_info); the signature and
    // feature flags describe a family 6 CPU with an FPU (bit 0) and a local APIC (bit 9).
    private const uint CpuSignature = 6 << 8, CpuFeatures = 1 << 0 | 1 << 9;

    private const byte IsaBusId = 0;
    private const byte AllLocalApics = 0xff;

    public static int LengthFor(int cpus) => FixedLength + cpus * ProcessorEntryLength;

    /// <summary>The floating pointer and the configuration table, for placing at <see cref="MemoryLayout.MpTable"/>.</summary>
    public static byte[] Build(int cpus)
    {
        var table = new byte[LengthFor(cpus)];
        Span<byte> config = table.AsSpan(FloatingPointerLength);
        byte ioApicId = FirmwareTables.IoApicId(cpus);
        int at = HeaderLength, entries = 0;

        for (int cpu = 0; cpu < cpus; cpu++)
        {
            Span<byte> entry = Entry(config, ref at, ref entries, MP_PROCESSOR, ProcessorEntryLength);
            entry[1] = (byte)cpu; // apicid: KVM gives vCPU n local APIC id n
            entry[2] = LapicVersion;
            entry[3] = (byte)(CPU_ENABLED | (cpu == 0 ? CPU_BOOTPROCESSOR : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], CpuSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], CpuFeatures);
        }

        Span<byte> bus = Entry(config, ref at, ref entries, MP_BUS, EntryLength);
        bus[1] = IsaBusId;
        "ISA   "u8.CopyTo(bus[2..]);

        Span<byte> ioApic = Entry(config, ref at, ref entries, MP_IOAPIC, EntryLength);
        ioApic[1] = ioApicId;
        ioApic[2] = IoApicVersion;
        ioApic[3] = MPC_APIC_USABLE;
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[4..], checked((uint)MemoryLayout.IoapicBase.Value));

        // KVM's default GSI routing sends ISA IRQ n to I/O APIC pin n, the in-kernel PIT's IRQ0 included. IRQ 2 has
        // no entry: on a PC it is the cascade from the second 8259 and never reaches the I/O APIC, and with identity
        // routing nothing else drives pin 2 (the PIT is on pin 0, not on pin 2 as on PC boards), so an entry would
        // announce an interrupt line that does not exist.
        for (byte irq = 0; irq < 16; irq++)
        {
            if (irq == 2) continue;
            Span<byte> entry = Entry(config, ref at, ref entries, MP_INTSRC, EntryLength);
            entry[1] = mp_INT;
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], MP_IRQPOL_DEFAULT);
            entry[4] = IsaBusId;
            entry[5] = irq;
            entry[6] = ioApicId;
            entry[7] = irq;
        }

        // Every local APIC: the 8259's output on LINT0 as ExtINT (virtual wire mode), NMI on LINT1; as VcpuSetup
        // programs them.
        foreach (var (type, lint) in new[] { (mp_ExtINT, 0), (mp_NMI, 1) })
        {
            Span<byte> entry = Entry(config, ref at, ref entries, MP_LINTSRC, EntryLength);
            entry[1] = type;
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], MP_IRQPOL_DEFAULT);
            entry[4] = IsaBusId;
            entry[5] = 0;
            entry[6] = AllLocalApics;
            entry[7] = (byte)lint;
        }

        "PCMP"u8.CopyTo(config);
        BinaryPrimitives.WriteUInt16LittleEndian(config[mpc_length..], (ushort)config.Length);
        config[mpc_spec] = SpecRev;
        "GLUE    "u8.CopyTo(config[mpc_oem..]);
        "GLUEVM      "u8.CopyTo(config[mpc_productid..]);
        BinaryPrimitives.WriteUInt16LittleEndian(config[mpc_oemcount..], (ushort)entries);
        BinaryPrimitives.WriteUInt32LittleEndian(config[mpc_lapic..], checked((uint)MemoryLayout.LapicBase.Value));
        // No extended table: its length and checksum (offsets 40 and 42) stay zero.
        config[mpc_checksum] = Checksum.Of(config);

        // The floating pointer: one 16-byte paragraph, feature byte 1 zero (a configuration table is present),
        // feature byte 2 zero (IMCRP clear: virtual wire mode, no IMCR to switch).
        Span<byte> pointer = table.AsSpan(0, FloatingPointerLength);
        "_MP_"u8.CopyTo(pointer);
        BinaryPrimitives.WriteUInt32LittleEndian(pointer[mpf_physptr..], checked((uint)MemoryLayout.MpTable.Value + FloatingPointerLength));
        pointer[mpf_length] = 1;
        pointer[mpf_specification] = SpecRev;
        pointer[mpf_checksum] = Checksum.Of(pointer);
        return table;
    }

    private static Span<byte> Entry(Span<byte> config, ref int at, ref int entries, byte type, int length)
    {
        Span<byte> entry = config.Slice(at, length);
        entry[0] = type;
        at += length;
        entries++;
        return entry;
    }
}
