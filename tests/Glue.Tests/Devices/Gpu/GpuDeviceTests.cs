using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Memory;
using Glue.Devices.Gpu;
using Glue.Display;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Tests.Devices.Gpu;

/// <summary>The device over its two queues, its config space and its option.</summary>
public sealed class GpuDeviceTests : VirtioTestBase
{
    private const ulong Requests = Buffers, Responses = Buffers + 0x8000;
    private readonly EventLoop _loop = new("gpu-test");
    private readonly FakeInterrupts _interrupts = new();
    private readonly DisplaySurface _surface = new(GuestDisplay.DefaultWidth, GuestDisplay.DefaultHeight);

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }

    private (GpuDevice Device, MockSplitQueue Control, MockSplitQueue Cursor) Start(ulong features, GpuOptions? options = null)
    {
        var device = new GpuDevice(_surface, options ?? GpuOptions.Default);
        var control = new MockSplitQueue(Memory, 8, 0x1000);
        var cursor = new MockSplitQueue(Memory, 8, 0x3000);
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core | features, [control.CreateQueue(), cursor.CreateQueue()], _interrupts, _loop, _ => { }));
        return (device, control, cursor);
    }

    [Fact]
    public void The_device_resizes_its_display_to_the_mode_and_its_config_has_one_scanout()
    {
        var device = new GpuDevice(_surface, GpuOptions.Parse("--gpu", "width=640,height=480"));
        Assert.Equal((640, 480), (_surface.Width, _surface.Height));
        Assert.Equal(VirtioIds.VIRTIO_ID_GPU, device.DeviceId);
        Assert.Equal(VirtioFeatures.Bit(VIRTIO_GPU_F_EDID), device.Features);
        Assert.Equal([256, 16], device.QueueMaxSizes);
        var config = new byte[16];
        device.ReadConfig(0, config);
        Assert.Equal((0u, 0u, 1u, 0u), (BinaryPrimitives.ReadUInt32LittleEndian(config), BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(4)),
            BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(12))));
        device.WriteConfig(ConfigEventsClear, [1, 0, 0, 0]);
        var scanouts = new byte[4];
        device.ReadConfig(ConfigNumScanouts, scanouts);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(scanouts));
    }

    [Fact]
    public void Control_requests_are_answered_in_their_writable_buffer_with_the_used_length()
    {
        var (device, control, _) = Start(VirtioFeatures.Bit(VIRTIO_GPU_F_EDID), GpuOptions.Parse("--gpu", "width=800,height=600"));
        Memory.Write(new GuestAddress(Requests), new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_GET_DISPLAY_INFO });
        // The header split over two readable buffers, the answer over two writable ones.
        ushort head = control.AddChain((Requests, 10, false), (Requests + 10, 14, false), (Responses, 100, true), (Responses + 0x100, 400, true));
        device.QueueNotify(ControlQueue);

        Assert.Equal((head, 408u), control.UsedElement(0));
        Assert.Equal(VIRTIO_GPU_RESP_OK_DISPLAY_INFO, Memory.Read<uint>(new GuestAddress(Responses)));
        Assert.Equal(800u, Memory.Read<uint>(new GuestAddress(Responses + 24 + 8)));    // pmodes[0].r.width
        Assert.Equal(600u, Memory.Read<uint>(new GuestAddress(Responses + 24 + 12)));                // pmodes[0].r.height
        Assert.Equal([ControlQueue], _interrupts.UsedBuffers);

        Memory.Write(new GuestAddress(Requests), new VirtioGpuCmdGetEdid { Hdr = new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_GET_EDID } });
        control.AddChain((Requests, 32, false), (Responses, 2048, true));
        device.QueueNotify(ControlQueue);
        Assert.Equal(1056u, control.UsedElement(1).Len);
        Assert.Equal(VIRTIO_GPU_RESP_OK_EDID, Memory.Read<uint>(new GuestAddress(Responses)));
    }

    [Fact]
    public void Without_the_edid_feature_get_edid_is_refused()
    {
        var (device, control, _) = Start(0);
        Memory.Write(new GuestAddress(Requests), new VirtioGpuCmdGetEdid { Hdr = new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_GET_EDID } });
        control.AddChain((Requests, 32, false), (Responses, 2048, true));
        device.QueueNotify(ControlQueue);
        Assert.Equal((VIRTIO_GPU_RESP_ERR_UNSPEC, 24u), (Memory.Read<uint>(new GuestAddress(Responses)), control.UsedElement(0).Len));
    }

    [Fact]
    public void Cursor_requests_without_room_for_an_answer_are_used_with_length_0()
    {
        var (device, _, cursor) = Start(0);
        Memory.Write(new GuestAddress(Requests), new VirtioGpuUpdateCursor
        {
            Hdr = new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_MOVE_CURSOR }, Pos = new VirtioGpuCursorPos { X = 100, Y = 200 },
        });
        ushort head = cursor.AddChain((Requests, 56, false));
        device.QueueNotify(CursorQueue);
        Assert.Equal((head, 0u), cursor.UsedElement(0));
        Assert.Equal((100, 200), (_surface.CursorX, _surface.CursorY));
        Assert.Equal([CursorQueue], _interrupts.UsedBuffers);
    }

    [Fact]
    public void A_request_longer_than_any_command_is_cut_to_the_buffer_and_answered()
    {
        var (device, control, _) = Start(0);
        Memory.Write(new GuestAddress(Requests), new VirtioGpuResourceAttachBacking
        {
            Hdr = new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING }, ResourceId = 1, NrEntries = 1,
        });
        // 1 MiB less the rings of readable bytes: far more than the longest request.
        control.AddChain((Requests, 0x80000, false), (0x10000, 0x2000, false), (Responses, 24, true));
        device.QueueNotify(ControlQueue);
        Assert.Equal(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, Memory.Read<uint>(new GuestAddress(Responses)));
    }

    [Fact]
    public void Reset_frees_the_resources_and_queues_are_not_served_before_the_next_activation()
    {
        var (device, control, _) = Start(0);
        Memory.Write(new GuestAddress(Requests), new VirtioGpuResourceCreate2d
        {
            Hdr = new VirtioGpuCtrlHdr { Type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D }, ResourceId = 1, Format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, Width = 64, Height = 64,
        });
        control.AddChain((Requests, 40, false), (Responses, 24, true));
        device.QueueNotify(ControlQueue);
        Assert.Equal(1, device.Commands!.Resources.Count);
        device.Reset();
        Assert.Null(device.Commands);
        control.AddChain((Requests, 40, false), (Responses, 24, true));
        device.QueueNotify(ControlQueue);
        Assert.Equal(1, control.UsedIdx);
    }

    [Theory]
    [InlineData("", 1280, 800, 256UL << 20)]
    [InlineData("on", 1280, 800, 256UL << 20)]
    [InlineData("width=1920,height=1080", 1920, 1080, 256UL << 20)]
    [InlineData("height=600,max-memory=64M,width=800", 800, 600, 64UL << 20)]
    [InlineData("max-memory=1G", 1280, 800, 1UL << 30)]
    [InlineData("max-memory=8000K", 1280, 800, 8000UL << 10)]
    public void The_option_takes_a_mode_and_a_memory_bound(string value, int width, int height, ulong maxMemory)
    {
        Assert.Equal(new GpuOptions(width, height, maxMemory), GpuOptions.Parse("--gpu", value));
    }

    [Theory]
    [InlineData("width=0")]
    [InlineData("width=15")]
    [InlineData("height=4096")]
    [InlineData("width=99999999999")]
    [InlineData("width=-5")]
    [InlineData("width=")]
    [InlineData("depth=24")]
    [InlineData("max-memory=0")]
    [InlineData("max-memory=17G")]
    [InlineData("max-memory=lots")]
    [InlineData("max-memory=1M")]                      // less than one 1280x800 framebuffer
    public void Bad_option_values_are_config_errors(string value)
    {
        var e = Assert.Throws<DeviceConfigException>(() => GpuOptions.Parse("--gpu", value));
        Assert.StartsWith("--gpu", e.Message);
    }

    [Theory]
    // Without machine setup (glue device gpu), asking for the device says --gpu.
    [InlineData(null, 1)]
    [InlineData("off", 0)]
    [InlineData("", 1)]
    [InlineData("width=320,height=200", 1)]
    public void The_feature_makes_a_device_when_asked(string? value, int devices)
    {
        var values = new DeviceOptionValues(value is null ? new Dictionary<string, string[]>() : new() { ["--gpu"] = [value] });
        Assert.Equal(devices, new GpuFeature().Create(values).Count);
    }
}
