namespace Glue.Core.Firmware;

/// <summary>
/// The checksum rule ACPI (5.2.5.3, 5.2.6) and the MP tables (MP 1.4, 4.1, 4.2) share: all bytes of the
/// structure, the checksum byte included, add up to zero modulo 256.
/// </summary>
internal static class Checksum
{
    /// <summary>The checksum for <paramref name="bytes"/>, computed while its checksum byte is still zero.</summary>
    public static byte Of(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)(0 - sum);
    }
}
