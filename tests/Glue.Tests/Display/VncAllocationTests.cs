using Glue.Display;
using Glue.Display.Vnc;
using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.Tests.Display;

/// <summary>The display's hot path once warm: Publish on the device's thread allocates nothing, building an update on a client's no frame buffer.</summary>
public class VncAllocationTests(ITestOutputHelper output)
{
    [Fact]
    public void Publish_with_clients_subscribed_allocates_nothing()
    {
        using var server = new VncTestServer(width: 320, height: 200);
        using var first = server.Connect();
        using var second = server.Connect();
        var surface = server.Display.Surface;
        surface.Publish(new ScreenRect(0, 0, 8, 8));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) surface.Publish(new ScreenRect(i % 300, i % 180, 16, 16));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(Rfb.EncodingRaw)]
    [InlineData(Rfb.EncodingZrle)]
    public void Building_a_full_frame_update_allocates_no_frame_buffer_once_warm(int encoding)
    {
        var surface = new DisplaySurface(GuestDisplay.DefaultWidth, GuestDisplay.DefaultHeight);
        TestPatterns.Fill(surface, TestPatterns.ColourBarsAndGradient);
        using var update = new FramebufferUpdate(surface, surface.Width, surface.Height);
        var content = new UpdateContent(new ScreenRect(0, 0, surface.Width, surface.Height), false, PixelFormat.Native, encoding, true, true);
        update.Build(content);
        update.Build(content);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) Assert.True(update.Build(content));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"encoding {encoding}: building a full {surface.Width}x{surface.Height} update takes {clock.Elapsed.TotalMilliseconds / 3:F1} ms, {update.Message.Count} bytes");
        // A frame is 4 MB: no per-update buffer may be allocated. A few KiB come now and then from the runtime's
        // zlib stream and the array pool's per-thread cache, not from the frame.
        Assert.True(allocated < 64 * 1024, $"three full-frame updates allocated {allocated} bytes");
    }
}
