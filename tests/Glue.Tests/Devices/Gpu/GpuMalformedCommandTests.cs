using System.Runtime.InteropServices;
using Glue.Devices.Gpu;
using Xunit;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Tests.Devices.Gpu;

/// <summary>A hostile guest's commands: each gets its error, changes nothing, and the device goes on serving.</summary>
public sealed class GpuMalformedCommandTests : GpuTestBase
{
    private const ulong MaxMemory = 1 << 20;

    public GpuMalformedCommandTests() : base(MaxMemory)
    {
    }

    /// <summary>After each bad request: a good frame still goes all the way to the display.</summary>
    private void StillServes()
    {
        uint id = 1000 + (uint)Commands.Resources.Count;
        Ok(Create(id, 8, 8));
        Fill(Buffers, Enumerable.Repeat((byte)0x5a, 256).ToArray());
        Ok(Attach(id, (Buffers, 256)));
        Ok(Transfer(id, Rect(0, 0, 8, 8), 0));
        Ok(SetScanout(id, Rect(0, 0, 8, 8)));
        Ok(Flush(id, Rect(0, 0, 8, 8)));
        Assert.All(SurfacePixels(), p => Assert.Equal(0x5a5a5au, p));
        Ok(Unref(id));
    }

    [Theory]
    [InlineData(0u)]                                 // VIRTIO_GPU_UNDEFINED
    [InlineData(0x0200u)]                            // VIRTIO_GPU_CMD_CTX_CREATE: 3D is not offered
    [InlineData(VIRTIO_GPU_CMD_GET_CAPSET_INFO)]
    [InlineData(VIRTIO_GPU_CMD_UPDATE_CURSOR)]       // a cursor command on the control queue
    [InlineData(0xdeadbeefu)]
    public void An_unknown_command_is_unspecified(uint type)
    {
        var request = new byte[64];
        MemoryMarshal.Write(request, Hdr(type));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(request)).Type);
        StillServes();
    }

    [Fact]
    public void A_request_shorter_than_its_command_is_unspecified()
    {
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(new byte[10])).Type);
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(AsBytes(Hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D)))).Type);
        var flush = AsBytes(new VirtioGpuResourceFlush { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_FLUSH), ResourceId = 1 });
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(flush[..^4])).Type);
        Assert.Equal(0, Commands.Resources.Count);
        StillServes();
    }

    [Fact]
    public void Resource_id_0_and_unknown_ids_are_invalid_resource_ids()
    {
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Create(0, 8, 8));
        Ok(Create(7, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Create(7, 8, 8));   // taken
        foreach (uint id in new uint[] { 0, 8 })
        {
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Attach(id, (Buffers, 256)));
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Detach(id));
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Transfer(id, Rect(0, 0, 1, 1), 0));
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Flush(id, Rect(0, 0, 1, 1)));
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Unref(id));
            Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, id == 0 ? 9u : id, 0, 0));
        }
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, SetScanout(8, Rect(0, 0, 8, 8)));
        StillServes();
    }

    [Theory]
    [InlineData(0u, 0u, 9u, 8u)]
    [InlineData(0u, 0u, 8u, 9u)]
    [InlineData(1u, 0u, 8u, 8u)]
    [InlineData(0u, 8u, 1u, 1u)]
    [InlineData(0xffffffffu, 0u, 2u, 1u)]             // x + width wraps in 32 bits
    [InlineData(0u, 0xfffffff0u, 1u, 0x20u)]
    public void A_rectangle_beyond_the_resource_is_an_invalid_parameter(uint x, uint y, uint width, uint height)
    {
        Ok(Create(1, 8, 8));
        Ok(Attach(1, (Buffers, 4096)));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Transfer(1, Rect(x, y, width, height), 0));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Flush(1, Rect(x, y, width, height)));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, SetScanout(1, Rect(x, y, width, height)));
        StillServes();
    }

    [Fact]
    public void A_scanout_other_than_0_is_an_invalid_scanout_id()
    {
        Ok(Create(1, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, SetScanout(1, Rect(0, 0, 8, 8), scanout: 1));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, SetScanout(0, Rect(0, 0, 0, 0), scanout: 16));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, Cursor(VIRTIO_GPU_CMD_MOVE_CURSOR, 0, 1, 1, scanout: 3));
        var edid = MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(AsBytes(new VirtioGpuCmdGetEdid { Hdr = Hdr(VIRTIO_GPU_CMD_GET_EDID), Scanout = 1 })));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, edid.Type);
        StillServes();
    }

    [Fact]
    public void An_empty_scanout_rectangle_an_unknown_format_and_zero_sizes_are_invalid_parameters()
    {
        Ok(Create(1, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, SetScanout(1, Rect(0, 0, 0, 8)));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Create(2, 8, 8, format: 5));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Create(2, 0, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Create(2, 8, 0));
        Assert.Equal(1, Commands.Resources.Count);
        StillServes();
    }

    [Theory]
    [InlineData(0xffffffffu, 0xffffffffu)]   // the product overflows 32 and nearly 64 bits
    [InlineData(0x10000u, 0x10000u)]         // exactly 2^32 pixels: 0 in 32 bits
    [InlineData(1024u, 1024u)]               // 4 MiB: more than the 1 MiB bound
    public void A_resource_larger_than_the_bound_is_out_of_memory(uint width, uint height)
    {
        Assert.Equal(VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, Create(1, width, height));
        Assert.Equal((0, 0UL), (Commands.Resources.Count, Commands.Resources.UsedBytes));
        StillServes();
    }

    [Fact]
    public void A_flood_of_resources_stops_at_the_bound_and_unref_makes_room_again()
    {
        uint id = 1;
        while (Create(id, 1, 1) == VIRTIO_GPU_RESP_OK_NODATA) id++;
        Assert.Equal(VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, Create(id, 1, 1));
        Assert.InRange(Commands.Resources.UsedBytes, MaxMemory - GpuResourceTable.OverheadBytes - 4, MaxMemory);
        Assert.Equal((int)(MaxMemory / (GpuResourceTable.OverheadBytes + 4)), Commands.Resources.Count);

        Ok(Unref(1));
        Ok(Unref(2));
        Ok(Create(1, 8, 8));
        for (uint i = 1; i < id; i++) Unref(i);
        Assert.Equal(0UL, Commands.Resources.UsedBytes);
        StillServes();
    }

    [Theory]
    [InlineData(0x100000ul, 16u)]                   // just past the end of the low region
    [InlineData(0xff000ul, 0x2000u)]                // runs off its end
    [InlineData(0x180000ul, 16u)]                   // in the hole
    [InlineData(HighRegion + HighRegionSize - 8, 16u)]
    [InlineData(0xffff_ffff_ffff_fff0ul, 0x20u)]    // wraps around
    public void Backing_outside_guest_ram_is_an_invalid_parameter(ulong address, uint length)
    {
        Ok(Create(1, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Attach(1, (Buffers, 128), (address, length)));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, Transfer(1, Rect(0, 0, 8, 8), 0));   // nothing was attached
        Ok(Attach(1, (Buffers, 256)));
        StillServes();
    }

    [Fact]
    public void A_bad_backing_list_is_refused()
    {
        Ok(Create(1, 8, 8));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, AttachRaw(1, 0, []));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, AttachRaw(1, GpuCommands.MaxBackingEntries + 1, [(Buffers, 256)]));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, AttachRaw(1, 3, [(Buffers, 128), (Buffers + 128, 128)]));   // claims more than it holds
        Ok(Attach(1, (Buffers, 256)));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, Attach(1, (Buffers, 256)));                                // already has one
        StillServes();
    }

    [Fact]
    public void A_transfer_beyond_the_backing_is_an_invalid_parameter_and_copies_nothing()
    {
        Ok(Create(1, 8, 8));
        Ok(Attach(1, (Buffers, 100)));                  // less than 8 x 8 x 4
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Transfer(1, Rect(0, 0, 8, 8), 0));
        Ok(Transfer(1, Rect(0, 0, 8, 3), 0));           // 3 rows: 96 bytes fit
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Transfer(1, Rect(0, 0, 1, 1), 100));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Transfer(1, Rect(0, 0, 1, 1), ulong.MaxValue - 2));
        StillServes();
    }

    [Fact]
    public void Get_edid_without_the_feature_is_an_unknown_command()
    {
        var withoutEdid = new GpuCommands(Memory, Surface, Width, Height, MaxMemory, edid: false);
        var response = new byte[GpuCommands.MaxResponseBytes];
        withoutEdid.ExecuteControl(AsBytes(new VirtioGpuCmdGetEdid { Hdr = Hdr(VIRTIO_GPU_CMD_GET_EDID) }), response);
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type);
    }

    [Fact]
    public void Bad_cursor_requests_are_refused_and_leave_the_cursor_alone()
    {
        Ok(Create(1, 300, 2));
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, Cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 1, 0, 0));   // too large a cursor
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, Cursor(VIRTIO_GPU_CMD_GET_DISPLAY_INFO, 0, 0, 0));
        var response = new byte[GpuCommands.MaxResponseBytes];
        Commands.ExecuteCursor(new byte[30], response);
        Assert.Equal(VIRTIO_GPU_RESP_ERR_UNSPEC, MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type);
        Assert.Null(Surface.Cursor);
        Assert.Equal(0, Seen.CursorChanges);
        StillServes();
    }
}
