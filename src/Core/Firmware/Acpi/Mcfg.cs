using System.Buffers.Binary;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The PCI Express memory-mapped configuration space base address description table (PCI Firmware Specification
/// 3.0, 4.1.2, "MCFG Table Description"): the header, 8 reserved bytes, then one 16-byte allocation structure per
/// ECAM window (base address, PCI segment group, start and end bus). Linux finds ECAM here (arch/x86/pci/mmconfig-shared.c).
/// </summary>
internal static class Mcfg
{
    private const byte Revision = 1;
    private const int ReservedLength = 8, AllocationLength = 16;

    // Allocation structure offsets (Table 4-3).
    private const int BaseAddressOffset = 0, SegmentOffset = 8, StartBusOffset = 10, EndBusOffset = 11;

    public static int LengthFor(int windows) => AcpiTable.HeaderSize + ReservedLength + windows * AllocationLength;

    public static byte[] Build(EcamWindow ecam)
    {
        var table = new byte[LengthFor(1)];
        Span<byte> entry = table.AsSpan(AcpiTable.HeaderSize + ReservedLength, AllocationLength);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[BaseAddressOffset..], ecam.Base.Value);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[SegmentOffset..], ecam.Segment);
        entry[StartBusOffset] = ecam.StartBus;
        entry[EndBusOffset] = ecam.EndBus;
        return AcpiTable.Seal(table, "MCFG", Revision);
    }
}
