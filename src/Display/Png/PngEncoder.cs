using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Glue.Display.Png;

/// <summary>
/// Writes 0x00RRGGBB pixels as a PNG (ISO/IEC 15948): 8-bit RGB (colour type 2), no interlace, each row with filter
/// type 0, the rows in one zlib stream in one IDAT chunk, so the file holds exactly the pixels given.
/// </summary>
public static class PngEncoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    // PNG §11.2.2 IHDR: bit depth 8, colour type 2 (truecolour), compression 0, filter 0, interlace 0.
    private const byte BitDepth = 8;
    private const byte ColourTypeTruecolour = 2;

    public static void Write(Stream output, ReadOnlySpan<uint> pixels, int width, int height)
    {
        if (width < 1 || height < 1 || pixels.Length < (long)width * height) throw new ArgumentException("pixels do not fill the image");
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = BitDepth;
        header[9] = ColourTypeTruecolour;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(output, "IHDR"u8, header);

        var data = new MemoryStream();
        using (var zlib = new ZLibStream(data, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + width * 3]; // filter type 0 (None), then R, G, B per pixel
            for (int y = 0; y < height; y++)
            {
                var source = pixels.Slice(y * width, width);
                for (int x = 0; x < width; x++)
                {
                    uint pixel = source[x];
                    row[1 + x * 3] = (byte)(pixel >> 16);
                    row[2 + x * 3] = (byte)(pixel >> 8);
                    row[3 + x * 3] = (byte)pixel;
                }
                zlib.Write(row);
            }
        }
        WriteChunk(output, "IDAT"u8, data.GetBuffer().AsSpan(0, (int)data.Length));
        WriteChunk(output, "IEND"u8, []);
    }

    /// <summary>PNG §5.3: length, type, data, and the CRC-32 of type and data.</summary>
    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        output.Write(word);
    }
}
