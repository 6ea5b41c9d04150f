using System.Globalization;
using Glue.Core.Interop;

namespace Glue.Devices.Net;

/// <summary>A 48-bit Ethernet address, as six bytes in wire order.</summary>
public readonly record struct MacAddress
{
    public const int Length = 6;
    private readonly ulong _value;   // byte 0 (first on the wire) in bits 40-47

    private MacAddress(ulong value) => _value = value;

    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        for (int i = 0; i < Length; i++) value = value << 8 | bytes[i];
        return new MacAddress(value);
    }

    public void CopyTo(Span<byte> destination)
    {
        for (int i = 0; i < Length; i++) destination[i] = (byte)(_value >> (8 * (Length - 1 - i)));
    }

    /// <summary>The I/G bit (bit 0 of the first byte): set for group (multicast and broadcast) addresses.</summary>
    public bool IsMulticast => (_value >> 40 & 0x01) != 0;

    /// <summary>The U/L bit (bit 1 of the first byte): set for locally administered addresses (IEEE 802-2014, 8.2.2).</summary>
    public bool IsLocallyAdministered => (_value >> 40 & 0x02) != 0;

    /// <summary>
    /// A random unicast, locally administered address: 46 random bits from getrandom(2), with the first
    /// byte's I/G bit cleared and U/L bit set, so it can be neither a group address nor collide with a vendor's.
    /// </summary>
    public static MacAddress Generate()
    {
        Span<byte> bytes = stackalloc byte[Length];
        GetRandom.Fill(bytes);
        bytes[0] = (byte)(bytes[0] & ~0x01 | 0x02);
        return FromBytes(bytes);
    }

    /// <summary>Six two-digit hex bytes separated by ':' or '-' ("52:54:00:12:34:56").</summary>
    public static bool TryParse(string text, out MacAddress address)
    {
        address = default;
        if (text.Length != 3 * Length - 1) return false;
        char separator = text[2];
        if (separator is not (':' or '-')) return false;
        Span<byte> bytes = stackalloc byte[Length];
        for (int i = 0; i < Length; i++)
        {
            if (i > 0 && text[3 * i - 1] != separator) return false;
            if (!byte.TryParse(text.AsSpan(3 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i])) return false;
        }
        address = FromBytes(bytes);
        return true;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
