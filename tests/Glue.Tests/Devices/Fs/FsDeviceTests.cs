using System.Runtime.InteropServices;
using System.Text;
using Glue.Core.Memory;
using Glue.Devices.Fs;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Tests.Devices.Fs;

/// <summary>The virtio-fs device driven through its queues, as the guest's driver drives it (virtio 1.2 §5.11).</summary>
public sealed class FsDeviceTests : VirtioTestBase
{
    private const ulong Root = FuseConstants.FUSE_ROOT_ID;
    private readonly EventLoop _loop = new("fs-test");
    private readonly FakeInterrupts _interrupts = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("glue-fs-device-").FullName;
    private readonly MockSplitQueue _hiprio;
    private readonly MockSplitQueue _requests;
    private readonly FsDevice _device;
    private ulong _unique;

    public FsDeviceTests()
    {
        Assert.Equal(0, SharedDirectory.Open(_directory, readOnly: false, maxFds: 100, out var share));
        _device = new FsDevice("shared", share!);
        _hiprio = new MockSplitQueue(Memory, 8, 0x1000);
        _requests = new MockSplitQueue(Memory, 64, 0x8000);
        _device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_hiprio.CreateQueue(), _requests.CreateQueue()], _interrupts, _loop, _ => { }));
    }

    public override void Dispose()
    {
        _device.Reset();
        _device.Dispose();
        _loop.Dispose();
        Directory.Delete(_directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public void The_config_holds_the_tag_and_one_request_queue()
    {
        var config = new byte[_device.ConfigSize];
        _device.ReadConfig(0, config);
        Assert.Equal(40, config.Length);
        Assert.Equal("shared", Encoding.UTF8.GetString(config, 0, 36).TrimEnd('\0'));
        Assert.Equal(1u, BitConverter.ToUInt32(config, 36));
        Assert.Equal(VirtioIds.VIRTIO_ID_FS, _device.DeviceId);
        Assert.Equal([128, 1024], _device.QueueMaxSizes);
    }

    [Fact]
    public void Data_written_and_read_moves_between_scattered_guest_buffers_and_the_host_file()
    {
        Request(Message(FUSE_INIT, 0, FuseSession.Struct(new fuse_init_in { major = 7, minor = 37 }), new byte[48]), 0x50000, 16 + 64);
        Wait(1);
        var create = Request(Message(FUSE_CREATE, Root, FuseSession.Struct(new fuse_create_in { flags = 0x42, mode = 0x81a4 }), FuseSession.Name("f")), 0x50000, 16 + 128 + 16);
        Wait(2);
        Assert.Equal(0, create.Error());
        ulong fh = MemoryMarshal.Read<fuse_open_out>(create.Body(128 + 16).AsSpan(128)).fh;

        // WRITE: header and fuse_write_in in one buffer, 3 × 1000 bytes of data in three more.
        var data = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var header = Message(FUSE_WRITE, Root, FuseSession.Struct(new fuse_write_in { fh = fh, size = 3000 }));
        MemoryMarshal.Write(header, (uint)(header.Length + 3000));
        Fill(0x50000, header);
        for (int i = 0; i < 3; i++) Fill(0x60000 + (ulong)i * 0x1000, data[(i * 1000)..((i + 1) * 1000)]);
        _requests.AddChain((0x50000, (uint)header.Length, false), (0x60000, 1000, false), (0x61000, 1000, false), (0x62000, 1000, false), (0x70000, 24, true));
        _device.QueueNotify(FsDevice.RequestQueue);
        Wait(3);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_directory, "f")));
        Assert.Equal(3000u, Memory.Read<uint>(new GuestAddress(0x70000 + 16)));

        // READ: the reply header in one buffer, the data across three.
        Fill(0x50000, Message(FUSE_READ, Root, FuseSession.Struct(new fuse_read_in { fh = fh, size = 3000 })));
        _requests.AddChain((0x50000, 80, false), (0x70000, 16, true), (0x80000, 1500, true), (0x81000, 1000, true), (0x82000, 500, true));
        _device.QueueNotify(FsDevice.RequestQueue);
        Wait(4);
        Assert.Equal(16u + 3000, _requests.UsedElement(3).Len);
        Assert.Equal(data, Bytes(0x80000, 1500).Concat(Bytes(0x81000, 1000)).Concat(Bytes(0x82000, 500)).ToArray());
    }

    [Fact]
    public void More_requests_than_slots_are_all_answered()
    {
        const int Count = 3 * FsDevice.Slots;
        for (int i = 0; i < Count; i++)
        {
            ulong input = 0x50000 + (ulong)i * 0x100, output = 0x70000 + (ulong)i * 0x100;
            Fill(input, Message(FUSE_GETATTR, Root, FuseSession.Struct(new fuse_getattr_in())));
            _requests.AddChain((input, 56, false), (output, 16 + 104, true));
        }
        _device.QueueNotify(FsDevice.RequestQueue);
        Wait(Count);
        for (int i = 0; i < Count; i++) Assert.Equal(0, Memory.Read<int>(new GuestAddress(0x70000 + (ulong)i * 0x100 + 4)));
    }

    [Fact]
    public void A_forget_on_the_hiprio_queue_is_used_with_no_reply()
    {
        Fill(0x50000, Message(FUSE_FORGET, 12345, FuseSession.Struct(new fuse_forget_in { nlookup = 1 })));
        _hiprio.AddChain((0x50000, 48, false));
        _device.QueueNotify(FsDevice.HiprioQueue);
        Assert.Equal(1, _hiprio.UsedIdx);
        Assert.Equal(0u, _hiprio.UsedElement(0).Len);
    }

    private byte[] Message(FuseOpcode op, ulong node, params byte[][] args) => FuseSession.Message(op, node, ++_unique, args);

    /// <summary>Puts <paramref name="message"/> at <paramref name="at"/> and queues it with a reply buffer of <paramref name="replyBytes"/> at 0x70000.</summary>
    private Reply Request(byte[] message, ulong at, uint replyBytes)
    {
        Fill(at, message);
        _requests.AddChain((at, (uint)message.Length, false), (0x70000, replyBytes, true));
        _device.QueueNotify(FsDevice.RequestQueue);
        return new Reply(Memory, 0x70000);
    }

    /// <summary>Waits (bounded) for the workers to have returned <paramref name="count"/> chains in all.</summary>
    private void Wait(int count)
    {
        var limit = DateTime.UtcNow.AddSeconds(10);
        while (_requests.UsedIdx < count && DateTime.UtcNow < limit) Thread.Sleep(1);
        Assert.Equal(count, _requests.UsedIdx);
    }

    private sealed record Reply(GuestMemory Memory, ulong Address)
    {
        public int Error() => Memory.Read<int>(new GuestAddress(Address + 4));

        public byte[] Body(int length) => Memory.GetSpan(new GuestAddress(Address + 16), length).ToArray();
    }
}
