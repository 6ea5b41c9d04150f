using System.Buffers.Binary;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The AML encodings the DSDT needs (ACPI 6.5, 20.2 "AML Grammar Definition"), each returning the bytes of one
/// term; terms nest by passing one's bytes into another. Names are single NameSegs, optionally from the root.
/// </summary>
internal static class Aml
{
    // 20.2.3 Data Objects Encoding, 20.2.5 Term Objects Encoding.
    private const byte ZeroOp = 0x00, OneOp = 0x01, NameOp = 0x08;
    private const byte BytePrefix = 0x0a, WordPrefix = 0x0b, DWordPrefix = 0x0c, StringPrefix = 0x0d, QWordPrefix = 0x0e;
    private const byte ScopeOp = 0x10, BufferOp = 0x11, PackageOp = 0x12;
    private const byte ExtOpPrefix = 0x5b, DeviceOp = 0x82;
    private const byte RootChar = (byte)'\\';

    /// <summary>The largest PkgLength (20.2.4): 28 bits, in the 4-byte form.</summary>
    public const int MaxPkgLength = (1 << 28) - 1;

    /// <summary>
    /// PkgLength (20.2.4) of <paramref name="length"/>, a count that includes the PkgLength bytes themselves: one byte
    /// below 64, else a lead byte with the count of following bytes in bits 7-6 and the length's low nibble in bits
    /// 3-0, then the rest of the length, least significant byte first.
    /// </summary>
    public static byte[] PkgLength(int length)
    {
        if (length is < 0 or > MaxPkgLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"a PkgLength holds 0 to 0x{MaxPkgLength:x}, not 0x{length:x}");
        }
        if (length < 0x40) return [(byte)length];
        int following = length < 0x1000 ? 1 : length < 0x100000 ? 2 : 3;
        var bytes = new byte[1 + following];
        bytes[0] = (byte)((following << 6) | (length & 0xf));
        for (int i = 1; i <= following; i++) bytes[i] = (byte)(length >> (4 + 8 * (i - 1)));
        return bytes;
    }

    /// <summary>An Integer in its shortest encoding (20.2.3): ZeroOp, OneOp, or a Byte/Word/DWord/QWord prefix.</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        <= byte.MaxValue => [BytePrefix, (byte)value],
        <= ushort.MaxValue => Prefixed(WordPrefix, value, sizeof(ushort)),
        <= uint.MaxValue => Prefixed(DWordPrefix, value, sizeof(uint)),
        _ => Prefixed(QWordPrefix, value, sizeof(ulong)),
    };

    /// <summary>
    /// A NameString (20.2.2): an optional root prefix '\' and one NameSeg. A NameSeg is four characters, a lead
    /// character A-Z or '_' then A-Z, 0-9 or '_'; shorter names are padded with '_' as ASL pads them.
    /// </summary>
    public static byte[] NameString(string name)
    {
        bool fromRoot = name.StartsWith('\\');
        string segment = fromRoot ? name[1..] : name;
        if (segment.Length is 0 or > 4 || !IsLeadNameChar(segment[0]) || !segment.All(c => IsLeadNameChar(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException($"'{name}' is not an ACPI name: 1-4 characters of A-Z, 0-9 and _, not starting with a digit", nameof(name));
        }
        byte[] seg = System.Text.Encoding.ASCII.GetBytes(segment.PadRight(4, '_'));
        return fromRoot ? [RootChar, .. seg] : seg;
    }

    /// <summary>A String (20.2.3): StringPrefix, ASCII characters 0x01-0x7f, a NUL.</summary>
    public static byte[] String(string value)
    {
        if (!value.All(c => c is >= '\x01' and <= '\x7f'))
        {
            throw new ArgumentException($"'{value}' is not an AML string: ASCII without NUL", nameof(value));
        }
        return [StringPrefix, .. System.Text.Encoding.ASCII.GetBytes(value), 0];
    }

    /// <summary>
    /// EISAID("PNP0501") (19.6, EISAID) as the DWord the ASL compiler emits: three letters of 5 bits each (A = 1) in
    /// bits 14-0 of the vendor word, then four hex digits, stored big-endian.
    /// </summary>
    public static byte[] EisaId(string id)
    {
        if (!IsEisaId(id)) throw new ArgumentException($"'{id}' is not an EISA id: three letters A-Z and four hex digits", nameof(id));
        uint vendor = (uint)((id[0] - '@') << 10 | (id[1] - '@') << 5 | (id[2] - '@'));
        uint value = vendor << 16 | Convert.ToUInt32(id[3..], 16);
        return Prefixed(DWordPrefix, BinaryPrimitives.ReverseEndianness(value), sizeof(uint));
    }

    /// <summary>Whether <paramref name="id"/> has the EISA id form "AAA####" (uppercase letters, uppercase hex).</summary>
    public static bool IsEisaId(string id) =>
        id.Length == 7 && id[..3].All(char.IsAsciiLetterUpper) && id[3..].All(c => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F');

    /// <summary>DefBuffer (20.2.5.4): BufferOp PkgLength BufferSize ByteList.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> bytes) => WithPkgLength([BufferOp], [.. Integer((ulong)bytes.Length), .. bytes]);

    /// <summary>DefPackage (20.2.5.4): PackageOp PkgLength NumElements PackageElementList.</summary>
    public static byte[] Package(params byte[][] elements)
    {
        if (elements.Length > byte.MaxValue)
        {
            throw new ArgumentException($"a Package holds at most 255 elements, not {elements.Length}", nameof(elements));
        }
        return WithPkgLength([PackageOp], [(byte)elements.Length, .. Concat(elements)]);
    }

    /// <summary>DefName (20.2.5.1): NameOp NameString DataRefObject.</summary>
    public static byte[] Name(string name, byte[] value) => [NameOp, .. NameString(name), .. value];

    /// <summary>DefScope (20.2.5.1): ScopeOp PkgLength NameString TermList.</summary>
    public static byte[] Scope(string name, params byte[][] terms) => WithPkgLength([ScopeOp], [.. NameString(name), .. Concat(terms)]);

    /// <summary>DefDevice (20.2.5.2): ExtOpPrefix DeviceOp PkgLength NameString TermList.</summary>
    public static byte[] Device(string name, params byte[][] terms) =>
        WithPkgLength([ExtOpPrefix, DeviceOp], [.. NameString(name), .. Concat(terms)]);

    public static byte[] Concat(IEnumerable<byte[]> terms) => terms.SelectMany(t => t).ToArray();

    // The PkgLength counts its own bytes, so take the shortest form that still holds the contents plus itself.
    private static byte[] WithPkgLength(byte[] opcode, byte[] contents)
    {
        int size = 1;
        while (PkgLength(contents.Length + size).Length != size) size++;
        return [.. opcode, .. PkgLength(contents.Length + size), .. contents];
    }

    private static byte[] Prefixed(byte prefix, ulong value, int size)
    {
        var bytes = new byte[1 + size];
        bytes[0] = prefix;
        Span<byte> le = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(le, value);
        le[..size].CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    private static bool IsLeadNameChar(char c) => char.IsAsciiLetterUpper(c) || c == '_';
}
