using System.Buffers.Binary;

namespace Glue.Display.Vnc;

/// <summary>
/// An RFB PIXEL_FORMAT (RFC 6143 §7.4): how a client wants each pixel. Glue serves true colour only (8, 16 or 32 bits
/// per pixel, either byte order, any maxima and shifts that fit); a client asking for a colour map is refused.
/// Converting from the surface's 0x00RRGGBB goes through three 256-entry tables, one per channel.
/// </summary>
internal sealed class PixelFormat
{
    public const int Size = 16;

    private readonly uint[] _red = new uint[256], _green = new uint[256], _blue = new uint[256];
    private readonly bool _compactHigh;

    private PixelFormat(byte bitsPerPixel, byte depth, bool bigEndian, ushort redMax, ushort greenMax, ushort blueMax, byte redShift, byte greenShift, byte blueShift)
    {
        BitsPerPixel = bitsPerPixel;
        Depth = depth;
        BigEndian = bigEndian;
        RedMax = redMax;
        GreenMax = greenMax;
        BlueMax = blueMax;
        RedShift = redShift;
        GreenShift = greenShift;
        BlueShift = blueShift;
        for (int value = 0; value < 256; value++)
        {
            _red[value] = Scale(value, redMax) << redShift;
            _green[value] = Scale(value, greenMax) << greenShift;
            _blue[value] = Scale(value, blueMax) << blueShift;
        }
        CompactSize = CompactPixelSize();
        _compactHigh = CompactSize == 3 && ((uint)redMax << redShift | (uint)greenMax << greenShift | (uint)blueMax << blueShift) > 0xffffff;
    }

    /// <summary>What the server announces in ServerInit: the surface's own layout, 32 bits little-endian, depth 24.</summary>
    public static PixelFormat Native { get; } = new(32, 24, false, 255, 255, 255, 16, 8, 0);

    public byte BitsPerPixel { get; }
    public byte Depth { get; }
    public bool BigEndian { get; }
    public ushort RedMax { get; }
    public ushort GreenMax { get; }
    public ushort BlueMax { get; }
    public byte RedShift { get; }
    public byte GreenShift { get; }
    public byte BlueShift { get; }

    public int BytesPerPixel => BitsPerPixel / 8;

    /// <summary>ZRLE's CPIXEL size (§7.7.6): 3 when a 32-bit pixel's colour fits in its low or high three bytes.</summary>
    public int CompactSize { get; }

    /// <summary>Parses a PIXEL_FORMAT; null with a reason when Glue cannot serve it.</summary>
    public static PixelFormat? Parse(ReadOnlySpan<byte> wire, out string? reason)
    {
        byte bpp = wire[0], depth = wire[1];
        bool bigEndian = wire[2] != 0, trueColour = wire[3] != 0;
        ushort redMax = BinaryPrimitives.ReadUInt16BigEndian(wire[4..]);
        ushort greenMax = BinaryPrimitives.ReadUInt16BigEndian(wire[6..]);
        ushort blueMax = BinaryPrimitives.ReadUInt16BigEndian(wire[8..]);
        byte redShift = wire[10], greenShift = wire[11], blueShift = wire[12];
        reason = null;
        if (bpp is not (8 or 16 or 32)) reason = $"{bpp} bits per pixel (8, 16 or 32 are served)";
        else if (!trueColour) reason = "a colour map (only true colour is served)";
        else if (!Fits(redMax, redShift, bpp) || !Fits(greenMax, greenShift, bpp) || !Fits(blueMax, blueShift, bpp)) reason = "a channel that does not fit in the pixel";
        return reason is null ? new PixelFormat(bpp, depth, bigEndian, redMax, greenMax, blueMax, redShift, greenShift, blueShift) : null;
    }

    public void Write(Span<byte> wire)
    {
        wire[..Size].Clear();
        wire[0] = BitsPerPixel;
        wire[1] = Depth;
        wire[2] = BigEndian ? (byte)1 : (byte)0;
        wire[3] = 1; // true colour
        BinaryPrimitives.WriteUInt16BigEndian(wire[4..], RedMax);
        BinaryPrimitives.WriteUInt16BigEndian(wire[6..], GreenMax);
        BinaryPrimitives.WriteUInt16BigEndian(wire[8..], BlueMax);
        wire[10] = RedShift;
        wire[11] = GreenShift;
        wire[12] = BlueShift;
    }

    /// <summary>The client's pixel value for a surface pixel 0x00RRGGBB.</summary>
    public uint Convert(uint rgb) => _red[(rgb >> 16) & 0xff] | _green[(rgb >> 8) & 0xff] | _blue[rgb & 0xff];

    /// <summary>Writes <paramref name="value"/> as <paramref name="size"/> bytes (a PIXEL, or a CPIXEL of 3), in the client's byte order.</summary>
    public void Put(Span<byte> destination, uint value, int size)
    {
        switch (size)
        {
            case 1:
                destination[0] = (byte)value;
                break;
            case 2:
                if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)value);
                else BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
                break;
            case 3:
                // The three bytes that carry the colour, in the order they have inside the 4-byte pixel.
                uint three = _compactHigh ? value >> 8 : value;
                if (BigEndian)
                {
                    destination[0] = (byte)(three >> 16);
                    destination[1] = (byte)(three >> 8);
                    destination[2] = (byte)three;
                }
                else
                {
                    destination[0] = (byte)three;
                    destination[1] = (byte)(three >> 8);
                    destination[2] = (byte)(three >> 16);
                }
                break;
            default:
                if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(destination, value);
                else BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
                break;
        }
    }

    private int CompactPixelSize()
    {
        if (BitsPerPixel != 32 || Depth > 24) return BytesPerPixel;
        uint used = (uint)RedMax << RedShift | (uint)GreenMax << GreenShift | (uint)BlueMax << BlueShift;
        return (used & 0xff000000) == 0 || (used & 0x000000ff) == 0 ? 3 : 4;
    }

    private static bool Fits(ushort max, byte shift, byte bpp) => shift < bpp && ((ulong)max << shift) < (1UL << bpp);

    private static uint Scale(int value, ushort max) => (uint)((value * max + 127) / 255);
}
