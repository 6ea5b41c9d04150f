using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The Multiple APIC Description Table (ACPI 6.5, 5.2.12): one local APIC per vCPU, KVM's in-kernel I/O APIC,
/// how the ISA IRQs in use reach it, and NMI on LINT1. The same wiring as the MP table, for guests that read ACPI.
/// </summary>
internal static class Madt
{
    private const byte Revision = 6;

    private const int LocalInterruptControllerAddress = 36, FlagsOffset = 40, HeaderLength = 44;
    // Multiple APIC Flags (5.2.12): there are 8259 PICs (KVM's in-kernel ones) for the OS to mask.
    private const uint PCAT_COMPAT = 1;

    // Interrupt Controller Structure types (5.2.12) and their lengths (5.2.12.2, .3, .5, .7).
    private const byte ProcessorLocalApic = 0, IoApic = 1, InterruptSourceOverride = 2, LocalApicNmi = 4;
    private const int ProcessorLocalApicLength = 8, IoApicLength = 12, InterruptSourceOverrideLength = 10, LocalApicNmiLength = 6;

    private const uint Enabled = 1;           // Local APIC Flags (5.2.12.2)
    private const byte IsaBus = 0;            // Interrupt Source Override "Bus": 0 is ISA
    private const ushort ConformsToBus = 0;   // MPS INTI Flags (5.2.12.5): ISA's edge-triggered, active high
    private const byte AllProcessors = 0xff;  // Local APIC NMI: the structure applies to every processor
    private const byte Lint1 = 1;

    /// <summary>
    /// The MADT for <paramref name="cpus"/> vCPUs. <paramref name="isaIrqs"/> are the ISA IRQs in use, each given an
    /// Interrupt Source Override to the GSI of the same number: KVM's default GSI routing sends ISA IRQ n to I/O APIC
    /// pin n, the in-kernel PIT's IRQ0 included, where PC firmware reports IRQ0 on GSI 2. Identity is also what an
    /// OS assumes without overrides (5.2.12.5), but saying it for the IRQs in use leaves nothing to PC habit.
    /// </summary>
    public static byte[] Build(int cpus, IReadOnlyList<byte> isaIrqs)
    {
        int length = HeaderLength + cpus * ProcessorLocalApicLength + IoApicLength
            + isaIrqs.Count * InterruptSourceOverrideLength + LocalApicNmiLength;
        var madt = new byte[length];
        Span<byte> span = madt;
        BinaryPrimitives.WriteUInt32LittleEndian(span[LocalInterruptControllerAddress..], checked((uint)MemoryLayout.LapicBase.Value));
        BinaryPrimitives.WriteUInt32LittleEndian(span[FlagsOffset..], PCAT_COMPAT);

        int at = HeaderLength;
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            // ACPI Processor UID and APIC id are both the vCPU index: KVM gives the vCPU created with id n local APIC id n.
            Span<byte> entry = Entry(span, ref at, ProcessorLocalApic, ProcessorLocalApicLength);
            entry[2] = (byte)cpu;
            entry[3] = (byte)cpu;
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], Enabled);
        }

        Span<byte> ioApic = Entry(span, ref at, IoApic, IoApicLength);
        ioApic[2] = FirmwareTables.IoApicId(cpus);
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[4..], checked((uint)MemoryLayout.IoapicBase.Value));
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic[8..], 0); // Global System Interrupt Base

        foreach (byte irq in isaIrqs)
        {
            Span<byte> entry = Entry(span, ref at, InterruptSourceOverride, InterruptSourceOverrideLength);
            entry[2] = IsaBus;
            entry[3] = irq;
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], irq);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], ConformsToBus);
        }

        Span<byte> nmi = Entry(span, ref at, LocalApicNmi, LocalApicNmiLength);
        nmi[2] = AllProcessors;
        BinaryPrimitives.WriteUInt16LittleEndian(nmi[3..], ConformsToBus);
        nmi[5] = Lint1;

        return AcpiTable.Seal(madt, "APIC", Revision);
    }

    private static Span<byte> Entry(Span<byte> table, ref int at, byte type, int length)
    {
        Span<byte> entry = table.Slice(at, length);
        entry[0] = type;
        entry[1] = (byte)length;
        at += length;
        return entry;
    }
}
