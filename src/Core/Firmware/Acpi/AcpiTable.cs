using System.Buffers.Binary;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The System Description Table Header every table but the RSDP starts with (ACPI 6.5, 5.2.6): table builders
/// leave its 36 bytes zero, write their fields at the offsets the spec gives, and call <see cref="Seal"/> last.
/// </summary>
internal static class AcpiTable
{
    public const int HeaderSize = 36;

    // Header offsets.
    private const int SignatureOffset = 0, LengthOffset = 4, RevisionOffset = 8, ChecksumOffset = 9;
    private const int OemIdOffset = 10, OemTableIdOffset = 16, OemRevisionOffset = 24, CreatorIdOffset = 28, CreatorRevisionOffset = 32;

    /// <summary>OEMID (6 bytes), shared with the RSDP.</summary>
    public static ReadOnlySpan<byte> OemId => "GLUE  "u8;
    private static ReadOnlySpan<byte> OemTableId => "GLUEVM  "u8;
    private static ReadOnlySpan<byte> CreatorId => "GLUE"u8;
    private const uint OemRevision = 1, CreatorRevision = 1;

    /// <summary>Fills in the header of <paramref name="table"/> (its whole length) and its checksum; returns the table.</summary>
    public static byte[] Seal(byte[] table, string signature, byte revision)
    {
        Span<byte> header = table.AsSpan(0, HeaderSize);
        System.Text.Encoding.ASCII.GetBytes(signature, header[SignatureOffset..(SignatureOffset + 4)]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[LengthOffset..], (uint)table.Length);
        header[RevisionOffset] = revision;
        OemId.CopyTo(header[OemIdOffset..]);
        OemTableId.CopyTo(header[OemTableIdOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OemRevisionOffset..], OemRevision);
        CreatorId.CopyTo(header[CreatorIdOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[CreatorRevisionOffset..], CreatorRevision);
        header[ChecksumOffset] = 0;
        header[ChecksumOffset] = Checksum.Of(table);
        return table;
    }
}
