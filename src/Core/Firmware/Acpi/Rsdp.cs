using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The Root System Description Pointer, revision 2 (ACPI 6.5, 5.2.5.3): where the guest starts, pointing at the
/// XSDT only (no RSDT). Two checksums: one over the ACPI 1.0 part (20 bytes), one over all 36 bytes.
/// </summary>
internal static class Rsdp
{
    public const int Length = 36;
    private const byte Revision = 2;

    private const int ChecksumOffset = 8, OemIdOffset = 9, RevisionOffset = 15, LengthOffset = 20;
    private const int XsdtAddressOffset = 24, ExtendedChecksumOffset = 32;
    private const int Acpi10Length = 20;

    public static byte[] Build(GuestAddress xsdt)
    {
        var rsdp = new byte[Length];
        "RSD PTR "u8.CopyTo(rsdp);
        AcpiTable.OemId.CopyTo(rsdp.AsSpan(OemIdOffset));
        rsdp[RevisionOffset] = Revision;
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp.AsSpan(LengthOffset), Length);
        BinaryPrimitives.WriteUInt64LittleEndian(rsdp.AsSpan(XsdtAddressOffset), xsdt.Value);
        rsdp[ChecksumOffset] = Checksum.Of(rsdp.AsSpan(0, Acpi10Length));
        rsdp[ExtendedChecksumOffset] = Checksum.Of(rsdp);
        return rsdp;
    }
}
