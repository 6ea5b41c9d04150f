using System.Runtime.InteropServices;
using Glue.Devices.Gpu;
using Glue.Display;
using Xunit;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Tests.Devices.Gpu;

public sealed class GpuCommandTests : GpuTestBase
{
    /// <summary>Every channel differs by position: red by x, green by y, blue by both, the X byte garbage.</summary>
    private static uint Pattern(int x, int y) => 0xa5u << 24 | (uint)(x * 4) << 16 | (uint)(y * 5) << 8 | (uint)((x + y) & 0xff);

    [Fact]
    public void Display_info_offers_the_mode_on_scanout_0_only()
    {
        var response = RunBytes(AsBytes(Hdr(VIRTIO_GPU_CMD_GET_DISPLAY_INFO)));
        Assert.Equal(24 + 16 * 24, response.Length);
        Assert.Equal(VIRTIO_GPU_RESP_OK_DISPLAY_INFO, MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type);
        var modes = MemoryMarshal.Cast<byte, VirtioGpuDisplayOne>(response.AsSpan(24)).ToArray();
        Assert.Equal((0u, 0u, (uint)Width, (uint)Height, 1u), (modes[0].R.X, modes[0].R.Y, modes[0].R.Width, modes[0].R.Height, modes[0].Enabled));
        Assert.All(modes[1..], m => Assert.Equal(0u, m.Enabled));
    }

    [Fact]
    public void A_transferred_resource_on_the_scanout_lands_in_the_surface_exactly()
    {
        ShowFrame(1, Pattern);

        var pixels = SurfacePixels();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++) Assert.Equal(Pattern(x, y) & 0xffffff, pixels[y * Width + x]);
        Assert.Equal([new ScreenRect(0, 0, Width, Height)], Seen.Damage);
    }

    [Fact]
    public void A_flush_publishes_exactly_its_rectangle_and_only_transferred_pixels_change()
    {
        ShowFrame(1, Pattern);
        Seen.Damage.Clear();
        // New content everywhere in the backing, but only a 5x3 rectangle at (7, 9) is transferred and flushed.
        var frame = new uint[Width * Height];
        Array.Fill(frame, 0x00123456u);
        WritePixels(Buffers, frame);
        ulong offset = (9 * Width + 7) * 4;
        Ok(Transfer(1, Rect(7, 9, 5, 3), offset));
        Assert.Empty(Seen.Damage);   // a transfer alone shows nothing
        Ok(Flush(1, Rect(7, 9, 5, 3)));

        Assert.Equal([new ScreenRect(7, 9, 5, 3)], Seen.Damage);
        var pixels = SurfacePixels();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                bool inside = x is >= 7 and < 12 && y is >= 9 and < 12;
                Assert.Equal(inside ? 0x123456u : Pattern(x, y) & 0xffffff, pixels[y * Width + x]);
            }
    }

    [Fact]
    public void Transfer_and_flush_allocate_nothing()
    {
        ShowFrame(1, Pattern);
        var transfer = AsBytes(new VirtioGpuTransferToHost2d { Hdr = Hdr(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D), R = Rect(0, 0, Width, Height), ResourceId = 1 });
        var flush = AsBytes(new VirtioGpuResourceFlush { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_FLUSH), R = Rect(3, 4, 20, 10), ResourceId = 1 });
        var response = new byte[GpuCommands.MaxResponseBytes];
        // The test's listener records (and so allocates); what the display's listeners do is theirs, the device's part is measured alone.
        Listening.Dispose();
        Commands.ExecuteControl(transfer, response);   // warm up: JIT, static initializers
        Commands.ExecuteControl(flush, response);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Commands.ExecuteControl(transfer, response);
            Commands.ExecuteControl(flush, response);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type);
    }

    [Fact]
    public void A_scanout_showing_part_of_a_larger_resource_changes_the_mode_and_maps_flushes_to_screen_coordinates()
    {
        Ok(Create(1, 100, 80));
        var frame = new uint[100 * 80];
        for (int i = 0; i < frame.Length; i++) frame[i] = (uint)i;
        WritePixels(Buffers, frame);
        Ok(Attach(1, (Buffers, 100 * 80 * 4)));
        Ok(Transfer(1, Rect(0, 0, 100, 80), 0));
        Ok(SetScanout(1, Rect(10, 20, 32, 16)));
        Assert.Equal([(32, 16)], Seen.Resizes);
        Assert.Equal((32, 16), (Surface.Width, Surface.Height));
        Assert.Equal((uint)(20 * 100 + 10), SurfacePixels()[0]);
        Assert.Equal((uint)(35 * 100 + 41), SurfacePixels()[15 * 32 + 31]);

        Seen.Damage.Clear();
        Ok(Flush(1, Rect(0, 0, 12, 22)));    // overlaps the shown area in (10..12, 20..22)
        Ok(Flush(1, Rect(50, 50, 10, 10)));  // outside it: nothing to publish
        Assert.Equal([new ScreenRect(0, 0, 2, 2)], Seen.Damage);
    }

    [Fact]
    public void Backing_in_several_uneven_entries_is_read_as_one_run_of_bytes()
    {
        var frame = new uint[Width * Height];
        for (int i = 0; i < frame.Length; i++) frame[i] = (uint)i * 2654435761u;
        var bytes = MemoryMarshal.AsBytes(frame.AsSpan()).ToArray();
        // Three pieces, cut inside pixels, one of them zero-length, one in the high region.
        int cut1 = 1001, cut2 = 7777;
        Fill(Buffers, bytes[..cut1]);
        Fill(HighRegion, bytes[cut1..cut2]);
        Fill(Buffers + 0x10000, bytes[cut2..]);
        Ok(Create(1, Width, Height));
        Ok(Attach(1, (Buffers, (uint)cut1), (Buffers + 0x8000, 0), (HighRegion, (uint)(cut2 - cut1)), (Buffers + 0x10000, (uint)(bytes.Length - cut2))));
        Ok(Transfer(1, Rect(0, 0, Width, Height), 0));
        Ok(SetScanout(1, Rect(0, 0, Width, Height)));

        Assert.Equal(frame.Select(p => p & 0xffffff), SurfacePixels());
    }

    [Theory]
    [InlineData(VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, new byte[] { 0x33, 0x22, 0x11, 0x99 })]
    [InlineData(VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, new byte[] { 0x33, 0x22, 0x11, 0x99 })]
    [InlineData(VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, new byte[] { 0x99, 0x11, 0x22, 0x33 })]
    [InlineData(VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, new byte[] { 0x99, 0x11, 0x22, 0x33 })]
    [InlineData(VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, new byte[] { 0x11, 0x22, 0x33, 0x99 })]
    [InlineData(VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, new byte[] { 0x11, 0x22, 0x33, 0x99 })]
    [InlineData(VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, new byte[] { 0x99, 0x33, 0x22, 0x11 })]
    [InlineData(VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, new byte[] { 0x99, 0x33, 0x22, 0x11 })]
    public void Each_format_is_read_in_its_byte_order(uint format, byte[] memory)
    {
        // Red 0x11, green 0x22, blue 0x33, alpha or padding 0x99, in the order the format's name gives.
        var frame = Enumerable.Range(0, 16 * 16).SelectMany(_ => memory).ToArray();
        Fill(Buffers, frame);
        Ok(Create(1, 16, 16, format));
        Ok(Attach(1, (Buffers, (uint)frame.Length)));
        Ok(Transfer(1, Rect(0, 0, 16, 16), 0));
        Ok(SetScanout(1, Rect(0, 0, 16, 16)));
        Assert.All(SurfacePixels(), p => Assert.Equal(0x112233u, p));

        Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, Cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 1, 0, 0));
        bool opaque = format is VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM or VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM or VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM or VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM;
        Assert.All(Surface.Cursor!.Pixels, p => Assert.Equal(opaque ? 0xff112233u : 0x99112233u, p));
    }

    [Fact]
    public void Set_scanout_to_resource_0_blanks_the_display_and_unref_of_the_shown_resource_too()
    {
        ShowFrame(1, Pattern);
        Ok(SetScanout(0, Rect(0, 0, 0, 0)));
        Assert.All(SurfacePixels(), p => Assert.Equal(0u, p));

        Ok(SetScanout(1, Rect(0, 0, Width, Height)));
        Assert.NotEqual(0u, SurfacePixels()[Width + 1]);
        Ok(Unref(1));
        Assert.All(SurfacePixels(), p => Assert.Equal(0u, p));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Flush(1, Rect(0, 0, 1, 1)));
    }

    [Fact]
    public void Unref_frees_the_resource_and_its_backing_without_a_detach()
    {
        Ok(Create(1, 32, 32));
        Ok(Attach(1, (Buffers, 4096), (Buffers + 4096, 4096)));
        Assert.True(Commands.Resources.UsedBytes > 32 * 32 * 4);
        Ok(Unref(1));
        Assert.Equal(0UL, Commands.Resources.UsedBytes);
        Assert.Equal(0, Commands.Resources.Count);
        // The id is free again, and its new incarnation has no backing.
        Ok(Create(1, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, Transfer(1, Rect(0, 0, 8, 8), 0));
    }

    [Fact]
    public void Detach_then_attach_again_replaces_the_backing()
    {
        Ok(Create(1, 4, 4));
        Ok(Attach(1, (Buffers, 64)));
        Ok(Detach(1));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, Transfer(1, Rect(0, 0, 4, 4), 0));
        Fill(Buffers + 0x1000, Enumerable.Repeat((byte)0x42, 64).ToArray());
        Ok(Attach(1, (Buffers + 0x1000, 64)));
        Ok(Transfer(1, Rect(0, 0, 4, 4), 0));
        Ok(SetScanout(1, Rect(0, 0, 4, 4)));
        Assert.All(SurfacePixels(), p => Assert.Equal(0x424242u, p));
    }

    [Fact]
    public void A_fenced_request_is_answered_with_the_flag_and_its_fence_id()
    {
        var answer = Run(new VirtioGpuResourceCreate2d
        {
            Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, fence: 0x1234_5678_9abc), ResourceId = 5, Format = VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, Width = 64, Height = 64,
        });
        Assert.Equal((VIRTIO_GPU_RESP_OK_NODATA, VIRTIO_GPU_FLAG_FENCE, 0x1234_5678_9abcUL), (answer.Type, answer.Flags, answer.FenceId));

        var error = Run(new VirtioGpuResourceUnref { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_UNREF, fence: 77), ResourceId = 99 });
        Assert.Equal((VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, VIRTIO_GPU_FLAG_FENCE, 77UL), (error.Type, error.Flags, error.FenceId));

        var unfenced = Run(new VirtioGpuResourceUnref { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_UNREF), ResourceId = 5 });
        Assert.Equal((0u, 0UL), (unfenced.Flags, unfenced.FenceId));
    }

    [Fact]
    public void Get_edid_answers_a_valid_edid_block_for_the_mode()
    {
        var response = RunBytes(AsBytes(new VirtioGpuCmdGetEdid { Hdr = Hdr(VIRTIO_GPU_CMD_GET_EDID) }));
        Assert.Equal(24 + 8 + 1024, response.Length);
        Assert.Equal(VIRTIO_GPU_RESP_OK_EDID, MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type);
        Assert.Equal(128u, MemoryMarshal.Read<uint>(response.AsSpan(24)));
        var edid = response.AsSpan(32, 128).ToArray();
        Assert.Equal(new byte[] { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 }, edid[..8]);
        Assert.Equal(0, edid.Sum(b => b) % 256);
        Assert.Equal((1, 4), (edid[18], edid[19]));
        // The first detailed timing is the mode: 12-bit active sizes split over a low byte and a high nibble.
        Assert.NotEqual(0, edid[54] | edid[55]);
        Assert.Equal(Width, edid[56] | (edid[58] >> 4) << 8);
        Assert.Equal(Height, edid[59] | (edid[61] >> 4) << 8);
        Assert.Contains("Glue", System.Text.Encoding.ASCII.GetString(edid, 90, 18));
        Assert.All(response[160..], b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(4095, 4095)]
    [InlineData(16, 16)]
    public void The_edid_timing_fits_its_fields_for_any_allowed_mode(int width, int height)
    {
        var edid = new byte[128];
        Edid.Write(width, height, edid);
        Assert.Equal(0, edid.Sum(b => b) % 256);
        Assert.Equal(width, edid[56] | (edid[58] >> 4) << 8);
        Assert.Equal(height, edid[59] | (edid[61] >> 4) << 8);
        int clock10kHz = edid[54] | edid[55] << 8;
        int htotal = width + (edid[57] | (edid[58] & 0xf) << 8), vtotal = height + (edid[60] | (edid[61] & 0xf) << 8);
        double refresh = clock10kHz * 10_000.0 / htotal / vtotal;
        Assert.InRange(refresh, 1, 61);
    }

    [Fact]
    public void The_cursor_takes_the_resource_image_and_hot_spot_moves_and_hides()
    {
        Ok(Create(2, 64, 64, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM));
        var image = Enumerable.Range(0, 64 * 64).Select(i => (uint)i | 0x80000000u).ToArray();
        WritePixels(Buffers, image);
        Ok(Attach(2, (Buffers, 64 * 64 * 4)));
        Ok(Transfer(2, Rect(0, 0, 64, 64), 0));

        Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, Cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 2, 10, 20, hotX: 3, hotY: 4));
        var cursor = Surface.Cursor!;
        Assert.Equal((64, 64, 3, 4), (cursor.Width, cursor.Height, cursor.HotX, cursor.HotY));
        Assert.Equal(image, cursor.Pixels);
        Assert.Equal((10, 20), (Surface.CursorX, Surface.CursorY));

        Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, Cursor(VIRTIO_GPU_CMD_MOVE_CURSOR, 0, 30, unchecked((uint)-5)));
        Assert.Equal((30, -5), (Surface.CursorX, Surface.CursorY));
        Assert.Same(cursor, Surface.Cursor);

        Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, Cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 1, 2));
        Assert.Null(Surface.Cursor);
        Assert.Equal(3, Seen.CursorChanges);
    }

    [Fact]
    public void Reset_forgets_every_resource_and_blanks_the_display()
    {
        ShowFrame(1, Pattern);
        Ok(Create(2, 8, 8));
        Commands.Reset();
        Assert.Equal((0, 0UL), (Commands.Resources.Count, Commands.Resources.UsedBytes));
        Assert.All(SurfacePixels(), p => Assert.Equal(0u, p));
        Ok(Create(1, 8, 8));
    }
}
