using System.Buffers.Binary;
using System.Text;

namespace Glue.Devices.Gpu;

/// <summary>
/// A VESA E-EDID 1.4 base block (128 bytes) describing a display whose preferred mode is the configured one:
/// GET_EDID's answer, from which Linux's DRM takes the mode list. The detailed timing uses reduced blanking (as
/// CVT-RB does) at 60 Hz, or less when a large mode would pass the 655.35 MHz a timing descriptor can state.
/// </summary>
internal static class Edid
{
    public const int BlockBytes = 128;

    /// <summary>A detailed timing descriptor holds 12-bit sizes.</summary>
    public const int MaxSide = 4095;

    private const int HorizontalFront = 48, HorizontalSync = 32, HorizontalBlank = 160;   // CVT-RB's fixed values
    private const int VerticalFront = 3, VerticalSync = 6, VerticalBlank = 40;
    private const int DotsPerInch = 100;   // for the stated physical size
    private const long MaxPixelClockHz = 65535L * 10_000;

    public static void Write(int width, int height, Span<byte> edid)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);
        edid = edid[..BlockBytes];
        edid.Clear();
        ReadOnlySpan<byte> header = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
        header.CopyTo(edid);
        BinaryPrimitives.WriteUInt16BigEndian(edid[8..], Manufacturer("GLU"));
        BinaryPrimitives.WriteUInt16LittleEndian(edid[10..], 1);   // product code
        edid[16] = 0;                                               // week: unstated
        edid[17] = 2026 - 1990;                                     // year of manufacture
        edid[18] = 1;                                               // EDID 1.4
        edid[19] = 4;
        edid[20] = 0xa5;                                            // digital, 8 bits per colour, DisplayPort
        int widthMm = width * 254 / (10 * DotsPerInch), heightMm = height * 254 / (10 * DotsPerInch);
        edid[21] = (byte)Math.Clamp(widthMm / 10, 1, 255);           // size in cm
        edid[22] = (byte)Math.Clamp(heightMm / 10, 1, 255);
        edid[23] = 120;                                             // gamma 2.2: (2.2 - 1) * 100
        edid[24] = 0x06;                                            // sRGB, the preferred timing is the native mode
        WriteChromaticity(edid[25..35]);
        // 35-37: no established timings; 38-53: eight unused standard timings.
        for (int i = 38; i < 54; i++) edid[i] = 0x01;

        WriteDetailedTiming(width, height, widthMm, heightMm, edid[54..72]);
        WriteRangeLimits(edid[72..90]);
        WriteText(0xfc, "Glue", edid[90..108]);                      // monitor name
        WriteText(0xff, "0", edid[108..126]);                        // serial number
        edid[126] = 0;                                               // no extension blocks
        byte sum = 0;
        foreach (byte b in edid[..127]) sum += b;
        edid[127] = (byte)-sum;
    }

    /// <summary>Three letters, 5 bits each ('A' is 1), big-endian.</summary>
    private static ushort Manufacturer(string id) => (ushort)((id[0] - '@') << 10 | (id[1] - '@') << 5 | (id[2] - '@'));

    /// <summary>sRGB's primaries and D65 white point, 10-bit fractions (x 1024).</summary>
    private static void WriteChromaticity(Span<byte> c)
    {
        ReadOnlySpan<double> xy = [0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290];
        Span<int> v = stackalloc int[8];
        for (int i = 0; i < 8; i++) v[i] = (int)Math.Round(xy[i] * 1024);
        c[0] = (byte)((v[0] & 3) << 6 | (v[1] & 3) << 4 | (v[2] & 3) << 2 | v[3] & 3);
        c[1] = (byte)((v[4] & 3) << 6 | (v[5] & 3) << 4 | (v[6] & 3) << 2 | v[7] & 3);
        for (int i = 0; i < 8; i++) c[2 + i] = (byte)(v[i] >> 2);
    }

    private static void WriteDetailedTiming(int width, int height, int widthMm, int heightMm, Span<byte> d)
    {
        long total = (long)(width + HorizontalBlank) * (height + VerticalBlank);
        int refresh = (int)Math.Clamp(MaxPixelClockHz / total, 1, 60);
        int clock = (int)(total * refresh / 10_000);
        BinaryPrimitives.WriteUInt16LittleEndian(d, (ushort)clock);
        d[2] = (byte)width;
        d[3] = HorizontalBlank & 0xff;
        d[4] = (byte)((width >> 8) << 4 | HorizontalBlank >> 8);
        d[5] = (byte)height;
        d[6] = VerticalBlank;
        d[7] = (byte)((height >> 8) << 4 | VerticalBlank >> 8);
        d[8] = HorizontalFront;
        d[9] = HorizontalSync;
        d[10] = VerticalFront << 4 | VerticalSync;
        d[11] = 0;                                                  // the high bits of the four above
        d[12] = (byte)widthMm;
        d[13] = (byte)heightMm;
        d[14] = (byte)((widthMm >> 8 & 0xf) << 4 | heightMm >> 8 & 0xf);
        d[17] = 0x1a;                                               // digital separate sync, hsync +, vsync - (CVT-RB)
    }

    /// <summary>Display range limits (tag 0xfd): 1-60 Hz, 1-255 kHz, up to 660 MHz, no timing formula.</summary>
    private static void WriteRangeLimits(Span<byte> d)
    {
        d[3] = 0xfd;
        d[5] = 1;       // minimum vertical rate, Hz
        d[6] = 60;      // maximum vertical rate
        d[7] = 1;       // minimum horizontal rate, kHz
        d[8] = 255;     // maximum horizontal rate
        d[9] = 66;      // maximum pixel clock, 10 MHz units
        d[10] = 0x01;   // range limits only
        d[11] = 0x0a;
        for (int i = 12; i < 18; i++) d[i] = 0x20;
    }

    /// <summary>A display descriptor holding up to 13 characters, ended by a newline and padded with spaces.</summary>
    private static void WriteText(byte tag, string text, Span<byte> d)
    {
        d[3] = tag;
        var field = d[5..18];
        field.Fill(0x20);
        int n = Encoding.ASCII.GetBytes(text, field);
        if (n < field.Length) field[n] = 0x0a;
    }
}
