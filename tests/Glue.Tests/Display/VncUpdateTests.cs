using System.Diagnostics;
using Glue.Display;
using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>Which updates a client gets: damaged regions only, non-incremental refreshes, DesktopSize on a mode change, the cursor.</summary>
public class VncUpdateTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public void An_incremental_request_gets_only_the_damaged_rectangle()
    {
        using var server = new VncTestServer(width: 320, height: 200);
        using var client = server.Connect();
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        var area = new ScreenRect(40, 30, 17, 9);
        TestPatterns.FillRect(server.Display.Surface, area, 0xabcdef);
        client.RequestUpdate(incremental: true);

        Assert.Equal(new RfbRectangle(40, 30, 17, 9, 0), Assert.Single(client.ReadUpdate()));
        TestImages.AssertPixels(server.Expected, 320, client.Frame, 0, "after the damaged rectangle");
    }

    [Fact]
    public void An_incremental_request_without_damage_waits_for_it()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        client.RequestUpdate(incremental: true);
        Assert.True(client.IsQuietFor(Quiet), "an update came with nothing changed");
        TestPatterns.FillRect(server.Display.Surface, new ScreenRect(1, 2, 3, 4), 0x00ff00);
        Assert.Equal(new RfbRectangle(1, 2, 3, 4, 0), Assert.Single(client.ReadUpdate()));
    }

    [Fact]
    public void Damage_without_a_request_is_held_and_coalesced_into_the_next_update()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        TestPatterns.FillRect(server.Display.Surface, new ScreenRect(10, 10, 5, 5), 0x111111);
        TestPatterns.FillRect(server.Display.Surface, new ScreenRect(50, 40, 10, 10), 0x222222);
        Assert.True(client.IsQuietFor(Quiet), "an update came unrequested");
        client.RequestUpdate(incremental: true);

        Assert.Equal(new RfbRectangle(10, 10, 50, 40, 0), Assert.Single(client.ReadUpdate()));
        TestImages.AssertPixels(server.Expected, client.Width, client.Frame, 0, "coalesced update");
    }

    [Fact]
    public void A_non_incremental_request_resends_its_area_with_nothing_changed()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        client.RequestUpdate(incremental: false, 8, 16, 32, 24);
        Assert.Equal(new RfbRectangle(8, 16, 32, 24, 0), Assert.Single(client.ReadUpdate()));
    }

    [Fact]
    public void A_mode_change_is_a_desktop_size_and_a_full_frame()
    {
        using var server = new VncTestServer(width: 320, height: 200);
        using var client = server.Connect();
        client.SetEncodings(16, -223);
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        server.Display.Surface.Resize(400, 240);
        TestPatterns.Fill(server.Display.Surface, TestPatterns.ColourBarsAndGradient);
        client.RequestUpdate(incremental: true);
        var rectangles = client.ReadUpdate();

        Assert.Equal([new RfbRectangle(0, 0, 400, 240, -223), new RfbRectangle(0, 0, 400, 240, 16)], rectangles);
        Assert.Equal((400, 240), (client.Width, client.Height));
        TestImages.AssertPixels(server.Expected, 400, client.Frame, 0, "after the mode change");
    }

    [Fact]
    public void A_client_without_desktop_size_keeps_its_size_and_gets_what_fits()
    {
        using var server = new VncTestServer(width: 320, height: 200);
        using var client = server.Connect();
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        server.Display.Surface.Resize(160, 100);
        client.RequestUpdate(incremental: true);
        Assert.Equal(new RfbRectangle(0, 0, 160, 100, 0), Assert.Single(client.ReadUpdate()));
    }

    [Fact]
    public void The_cursor_goes_to_a_client_that_asks_for_it()
    {
        using var server = new VncTestServer();
        using var client = server.Connect();
        client.SetEncodings(0, -239);
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        // 10x3 arrow-ish: opaque red left half, transparent right half.
        var pixels = new uint[30];
        for (int i = 0; i < 30; i++) pixels[i] = i % 10 < 5 ? 0xffff0000 : 0x0000ff00;
        server.Display.Surface.SetCursor(new DisplayCursor(pixels, 10, 3, 2, 1), 50, 60);
        client.RequestUpdate(incremental: true);

        var rectangle = Assert.Single(client.ReadUpdate());
        Assert.Equal(new RfbRectangle(2, 1, 10, 3, -239), rectangle);
        var cursor = client.Cursor!.Value;
        Assert.All(Enumerable.Range(0, 30).Where(i => i % 10 < 5), i => Assert.Equal(0xff0000u, cursor.Pixels[i]));
        Assert.Equal(new byte[] { 0b11111000, 0, 0b11111000, 0, 0b11111000, 0 }, cursor.Mask);

        server.Display.Surface.SetCursor(null, 0, 0);
        client.RequestUpdate(incremental: true);
        Assert.Equal(new RfbRectangle(0, 0, 0, 0, -239), Assert.Single(client.ReadUpdate()));
    }

    [Fact]
    public void Two_clients_each_get_every_change_in_their_own_encoding()
    {
        using var server = new VncTestServer(width: 256, height: 128);
        using var raw = server.Connect("003.003");
        using var zrle = server.Connect("003.008");
        zrle.SetEncodings(16);
        foreach (var client in new[] { raw, zrle })
        {
            client.RequestUpdate(incremental: false);
            client.ReadUpdate();
        }
        for (int i = 0; i < 4; i++)
        {
            TestPatterns.FillRect(server.Display.Surface, new ScreenRect(i * 20, i * 10, 30, 30), 0x405060u + (uint)i);
            foreach (var client in new[] { raw, zrle })
            {
                client.RequestUpdate(incremental: true);
                client.ReadUpdate();
                TestImages.AssertPixels(server.Expected, 256, client.Frame, 0, $"change {i}");
            }
        }
    }

    [Fact]
    public void A_stuck_client_stalls_neither_publish_nor_another_client_and_is_dropped()
    {
        // A Publish that waited on the stuck client would wait out the server's send timeout: that, not a guess at
        // how fast this machine is, bounds it. The drop comes a send timeout after the client's buffers fill.
        var sendTimeout = TimeSpan.FromSeconds(5);
        using var server = new VncTestServer(width: 1024, height: 768, sendTimeout: sendTimeout);
        // This client asks for full frames and never reads a byte: its socket buffers fill within a few frames.
        using var stuck = server.Connect();
        using var live = server.Connect();
        live.SetEncodings(16);
        live.RequestUpdate(incremental: false);
        live.ReadUpdate();

        var slowest = TimeSpan.Zero;
        bool stuckDropped = false;
        for (int i = 0; i < 40; i++)
        {
            if (!stuckDropped)
            {
                try
                {
                    stuck.RequestUpdate(incremental: false);
                }
                catch (IOException)
                {
                    stuckDropped = true; // the server has already given up on it
                }
            }
            var frame = TestPatterns.Draw((x, y, w, h) => TestPatterns.ColourBarsAndGradient((x + i * 7) % w, y, w, h), 1024, 768);
            var surface = server.Display.Surface;
            var publish = Stopwatch.StartNew(); // what the device does per frame: write under the lock, then Publish
            lock (surface.Lock) frame.CopyTo(surface.Pixels);
            surface.Publish(new ScreenRect(0, 0, 1024, 768));
            if (publish.Elapsed > slowest) slowest = publish.Elapsed;
            live.RequestUpdate(incremental: true);
            live.ReadUpdate();
            TestImages.AssertPixels(server.Expected, 1024, live.Frame, 0, $"live client, frame {i}");
        }
        Assert.True(slowest < sendTimeout, $"a frame's write and Publish took {slowest.TotalMilliseconds} ms with a stuck client");

        var deadline = Stopwatch.StartNew();
        while (server.Server.ClientCount > 1 && deadline.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
        Assert.Equal(1, server.Server.ClientCount);
        live.RequestUpdate(incremental: false);
        live.ReadUpdate();
    }
}
