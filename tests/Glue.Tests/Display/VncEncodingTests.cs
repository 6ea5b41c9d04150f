using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>Raw and ZRLE (RFC 6143 §7.7.1, §7.7.6) in the pixel formats clients ask for (§7.4), decoded by the test client.</summary>
public class VncEncodingTests
{
    public static TheoryData<string, int, int, bool, int, int, int, int, int, int> Formats => new()
    {
        { "32 bpp little-endian (Glue's own)", 32, 24, false, 255, 255, 255, 16, 8, 0 },
        { "32 bpp big-endian", 32, 24, true, 255, 255, 255, 16, 8, 0 },
        { "32 bpp BGR, colour in the high bytes", 32, 24, false, 255, 255, 255, 8, 16, 24 },
        { "32 bpp big-endian, colour in the high bytes", 32, 24, true, 255, 255, 255, 24, 16, 8 },
        { "32 bpp depth 32 (ZRLE's CPIXEL is 4 bytes)", 32, 32, false, 255, 255, 255, 0, 8, 16 },
        { "16 bpp RGB565 little-endian", 16, 16, false, 31, 63, 31, 11, 5, 0 },
        { "16 bpp RGB555 big-endian", 16, 15, true, 31, 31, 31, 10, 5, 0 },
        { "8 bpp BGR233", 8, 8, false, 7, 7, 3, 0, 3, 6 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Raw_and_zrle_deliver_the_pattern_in_the_clients_format(string name, int bpp, int depth, bool bigEndian, int redMax, int greenMax, int blueMax, int redShift, int greenShift, int blueShift)
    {
        var format = new RfbPixelFormat(bpp, depth, bigEndian, redMax, greenMax, blueMax, redShift, greenShift, blueShift);
        using var server = new VncTestServer(width: 200, height: 150);
        var expected = server.Expected;
        foreach (int encoding in new[] { 0, 16 })
        {
            using var client = server.Connect();
            client.SetPixelFormat(format);
            client.SetEncodings(encoding);
            client.RequestUpdate(incremental: false);
            var rectangles = client.ReadUpdate();

            Assert.Equal(new RfbRectangle(0, 0, 200, 150, encoding), Assert.Single(rectangles));
            TestImages.AssertPixels(expected, 200, client.Frame, format.Tolerance, $"{name}, encoding {encoding}");
        }
    }

    [Fact]
    public void Zrle_keeps_one_zlib_stream_across_updates_and_rectangles()
    {
        using var server = new VncTestServer(width: 300, height: 200);
        using var client = server.Connect();
        client.SetEncodings(16);
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        // Later updates only decode if the inflater carries its state over (a fresh stream would lack the zlib header).
        for (int i = 0; i < 5; i++)
        {
            TestPatterns.FillRect(server.Display.Surface, new Glue.Display.ScreenRect(10 + i * 30, 20 + i * 10, 70, 50), 0x102030u * (uint)(i + 1));
            client.RequestUpdate(incremental: true);
            client.ReadUpdate();
            TestImages.AssertPixels(server.Expected, 300, client.Frame, 0, $"ZRLE update {i}");
        }
    }

    [Fact]
    public void Zrle_uses_every_tile_kind_on_text_and_gradients_and_stays_exact()
    {
        // Text tiles become palettes, bars solid tiles or runs, the gradient raw: all must decode to the same pixels.
        using var server = new VncTestServer(width: 256, height: 192);
        lock (server.Display.Surface.Lock)
        {
            var text = TestPatterns.Draw(TestPatterns.Text, 256, 96);
            var pattern = TestPatterns.Draw(TestPatterns.ColourBarsAndGradient, 256, 96);
            text.CopyTo(server.Display.Surface.Pixels);
            pattern.CopyTo(server.Display.Surface.Pixels[(256 * 96)..]);
        }
        using var client = server.Connect();
        client.SetEncodings(16);
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        TestImages.AssertPixels(server.Expected, 256, client.Frame, 0, "text and gradient over ZRLE");
    }

    [Fact]
    public void The_first_of_raw_and_zrle_the_client_names_is_used()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        client.SetEncodings(5, 16, 0); // Hextile (not served), then ZRLE, then Raw
        client.RequestUpdate(incremental: false);
        Assert.Equal(16, Assert.Single(client.ReadUpdate()).Encoding);

        client.SetEncodings(0, 16);
        client.RequestUpdate(incremental: false);
        Assert.Equal(0, Assert.Single(client.ReadUpdate()).Encoding);
    }

    [Fact]
    public void A_colour_map_format_is_refused_by_ending_the_connection()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        byte[] message = new byte[20];
        message[4] = 8;
        message[5] = 8; // true-colour-flag 0: a colour map
        client.Send(message);
        Assert.True(client.IsClosedByServer());
    }
}
