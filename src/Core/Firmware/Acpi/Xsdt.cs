using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Firmware.Acpi;

/// <summary>The Extended System Description Table (ACPI 6.5, 5.2.8): the header, then one 64-bit address per table.</summary>
internal static class Xsdt
{
    private const byte Revision = 1;

    public static int LengthFor(int tables) => AcpiTable.HeaderSize + tables * sizeof(ulong);

    public static byte[] Build(IReadOnlyList<GuestAddress> tables)
    {
        var xsdt = new byte[LengthFor(tables.Count)];
        for (int i = 0; i < tables.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(xsdt.AsSpan(AcpiTable.HeaderSize + i * sizeof(ulong)), tables[i].Value);
        }
        return AcpiTable.Seal(xsdt, "XSDT", Revision);
    }
}
