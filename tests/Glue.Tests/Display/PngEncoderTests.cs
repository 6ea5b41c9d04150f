using Glue.Core.Control;
using Glue.Display;
using Glue.Display.Png;
using System.Text;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>The PNG encoder and the SCREENSHOT control request that writes its file.</summary>
public class PngEncoderTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(320, 200)]
    [InlineData(1280, 800)]
    public void A_png_holds_exactly_the_pixels(int width, int height)
    {
        var pixels = TestPatterns.Draw(TestPatterns.ColourBarsAndGradient, width, height);
        var directory = Directory.CreateTempSubdirectory("glue-png-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "screen.png");
            using (var file = File.Create(path)) PngEncoder.Write(file, pixels, width, height);

            var image = TestImages.ReadPng(path);
            Assert.Equal((width, height), (image.Width, image.Height));
            TestImages.AssertPixels(pixels, width, image.Pixels, 0, "PNG");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Pythons_zlib_reads_the_same_image_data_as_the_tests_decoder()
    {
        // A second reader, so the encoder is not checked only against the test's own decoder.
        var pixels = TestPatterns.Draw(TestPatterns.ColourBarsAndGradient, 64, 48);
        var directory = Directory.CreateTempSubdirectory("glue-png-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "screen.png");
            using (var file = File.Create(path)) PngEncoder.Write(file, pixels, 64, 48);
            string script = """
                import sys, struct, zlib
                data = open(sys.argv[1], 'rb').read()
                assert data[:8] == b'\x89PNG\r\n\x1a\n'
                at, idat = 8, b''
                while at < len(data):
                    n, kind = struct.unpack('>I4s', data[at:at + 8])
                    body = data[at + 8:at + 8 + n]
                    assert struct.unpack('>I', data[at + 8 + n:at + 12 + n])[0] == zlib.crc32(kind + body)
                    if kind == b'IHDR': w, h = struct.unpack('>II', body[:8])
                    if kind == b'IDAT': idat += body
                    at += 12 + n
                raw = zlib.decompress(idat)
                for point in sys.argv[2:]:
                    x, y = map(int, point.split(','))
                    row = raw[y * (1 + 3 * w):(y + 1) * (1 + 3 * w)]
                    print('%dx%d %02x%02x%02x' % (w, h, row[1 + 3 * x], row[2 + 3 * x], row[3 + 3 * x]))
                """;
            File.WriteAllText(Path.Combine(directory.FullName, "read.py"), script);
            (int X, int Y)[] points = [(0, 0), (63, 47), (17, 40), (40, 5)];
            string output = TestImages.Run("python3", [Path.Combine(directory.FullName, "read.py"), path, .. points.Select(p => $"{p.X},{p.Y}")]);
            Assert.Equal(points.Select(p => $"64x48 {pixels[p.Y * 64 + p.X]:x6}"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Screenshot_writes_the_surface_to_the_absolute_path_given()
    {
        var surface = new DisplaySurface(200, 120);
        TestPatterns.Fill(surface, TestPatterns.ColourBarsAndGradient);
        var directory = Directory.CreateTempSubdirectory("glue-png-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "shot.png");
            var reply = ScreenshotRequest.Handle(surface, Encoding.UTF8.GetBytes(path));

            Assert.Equal(ControlStatus.Ok, reply.Status);
            Assert.Equal("200x120", Encoding.UTF8.GetString(reply.Payload));
            TestImages.AssertPixels(TestPatterns.Snapshot(surface), 200, TestImages.ReadPng(path).Pixels, 0, "screenshot");
            Assert.Equal(["shot.png"], Directory.GetFiles(directory.FullName).Select(Path.GetFileName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("relative.png", "is not an absolute path")]
    [InlineData("", "is not an absolute path")]
    [InlineData("/nonexistent-glue-dir/shot.png", "cannot write /nonexistent-glue-dir/shot.png: directory /nonexistent-glue-dir does not exist: create it or give a path in one that does")]
    public void An_unusable_path_is_refused_and_leaves_nothing(string path, string reason)
    {
        var reply = ScreenshotRequest.Handle(new DisplaySurface(8, 8), Encoding.UTF8.GetBytes(path));
        Assert.Equal(ControlStatus.Refused, reply.Status);
        Assert.Contains(reason, Encoding.UTF8.GetString(reply.Payload));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_directory_in_the_way_is_refused_and_the_temporary_file_removed()
    {
        var directory = Directory.CreateTempSubdirectory("glue-png-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "taken");
            Directory.CreateDirectory(path);
            var reply = ScreenshotRequest.Handle(new DisplaySurface(8, 8), Encoding.UTF8.GetBytes(path));
            Assert.Equal(ControlStatus.Refused, reply.Status);
            Assert.Equal($"cannot write {path}: it is a directory: give a file name", Encoding.UTF8.GetString(reply.Payload));
            Assert.Equal(["taken"], Directory.GetFileSystemEntries(directory.FullName).Select(Path.GetFileName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_components_request_is_dispatched_and_a_built_in_one_cannot_be_taken()
    {
        var handlers = new ControlHandlers();
        Assert.Null(handlers.Handle(ScreenshotRequest.Type, []));
        handlers.Register(ScreenshotRequest.Type, payload => new ControlReply(ControlStatus.Ok, payload.ToArray()));

        Assert.Equal("ping"u8.ToArray(), handlers.Handle(ScreenshotRequest.Type, "ping"u8)!.Value.Payload);
        Assert.Throws<ArgumentException>(() => handlers.Register(ScreenshotRequest.Type, _ => default));
        Assert.Throws<ArgumentException>(() => handlers.Register((ushort)ControlRequest.Pause, _ => default));
    }
}
