using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>A decoded image as 0x00RRGGBB pixels.</summary>
internal sealed record TestImage(int Width, int Height, uint[] Pixels);

/// <summary>
/// Reads the images the tests' real clients write: PNG decoded here from the spec (8-bit RGB or RGBA, all five row
/// filters, every chunk's CRC checked) and JPEG through libjpeg-turbo's djpeg into a PPM.
/// </summary>
internal static class TestImages
{
    public static TestImage ReadPng(string path)
    {
        var file = File.ReadAllBytes(path);
        Assert.True(file.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a }), $"{path} is not a PNG");
        int width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        for (int at = 8; at < file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at + 8 + length));
            Assert.Equal(Crc32.HashToUInt32(file.AsSpan(at + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, var t => throw new InvalidDataException($"PNG colour type {t}") };
                Assert.Equal(0, data[12]); // no interlace
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        idat.Position = 0;
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(raw);
        var bytes = raw.ToArray();
        int stride = width * channels;
        Assert.Equal((stride + 1) * height, bytes.Length);
        var previous = new byte[stride];
        var pixels = new uint[width * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = bytes[y * (stride + 1)];
            var row = bytes.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int left = i >= channels ? row[i - channels] : 0, up = previous[i], upLeft = i >= channels ? previous[i - channels] : 0;
                row[i] += filter switch
                {
                    0 => 0,
                    1 => (byte)left,
                    2 => (byte)up,
                    3 => (byte)((left + up) / 2),
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                };
            }
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = (uint)(row[x * channels] << 16 | row[x * channels + 1] << 8 | row[x * channels + 2]);
            row.CopyTo(previous);
        }
        return new TestImage(width, height, pixels);
    }

    public static TestImage ReadJpeg(string path)
    {
        string ppm = path + ".ppm";
        Run("djpeg", "-pnm", "-outfile", ppm, path);
        var file = File.ReadAllBytes(ppm);
        File.Delete(ppm);
        // P6 header: "P6", width, height, maxval, each followed by whitespace, then RGB bytes.
        int at = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)file[at])) at++;
            int start = at;
            while (!char.IsWhiteSpace((char)file[at])) at++;
            return Encoding.ASCII.GetString(file, start, at - start);
        }
        Assert.Equal("P6", Token());
        int width = int.Parse(Token()), height = int.Parse(Token());
        Assert.Equal("255", Token());
        at++;
        var pixels = new uint[width * height];
        for (int i = 0; i < pixels.Length; i++, at += 3) pixels[i] = (uint)(file[at] << 16 | file[at + 1] << 8 | file[at + 2]);
        return new TestImage(width, height, pixels);
    }

    /// <summary>Runs a tool to its end (at most 60 s); fails the test with its output when it fails.</summary>
    public static string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish in 60 s");
        }
        string output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
        return output;
    }

    /// <summary>Asserts every pixel matches within <paramref name="tolerance"/> per channel; names the first that does not.</summary>
    public static void AssertPixels(uint[] expected, int width, uint[] actual, int tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = 0, worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            int difference = Math.Max(Channel(expected[i], actual[i], 16), Math.Max(Channel(expected[i], actual[i], 8), Channel(expected[i], actual[i], 0)));
            if (difference > worst)
            {
                worst = difference;
                worstAt = i;
            }
        }
        Assert.True(worst <= tolerance,
            $"{what}: pixel ({worstAt % width}, {worstAt / width}) is {(worstAt < 0 ? 0 : actual[worstAt]):x6}, expected {(worstAt < 0 ? 0 : expected[worstAt]):x6} (off by {worst}, tolerance {tolerance})");
    }

    private static int Channel(uint a, uint b, int shift) => Math.Abs((int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff));

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
