using Glue.Core.Devices;
using Glue.Core.Memory;
using Glue.Core.Interop;
using Glue.Devices.Block;
using Glue.Tests.Devices.Block.Qcow2;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Block.VirtioBlk;

namespace Glue.Tests.Devices.Block;

/// <summary>
/// What `--disk PATH[,format=...][,cache=...]` opens: a format named or probed (the qcow2 magic makes a probed image
/// qcow2, which this build does not have), and cache=none's O_DIRECT, aligned or through bounce buffers.
/// </summary>
public sealed class DiskImageOpenerTests : VirtioTestBase
{
    private const ulong Header = Buffers;
    private const ulong Data = Buffers + 0x1000;   // page-aligned
    private const ulong Status = Buffers + 0x8000;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"glue-blk-open-{Guid.NewGuid():N}.img");
    private readonly EventLoop _loop = new("blk-open-test");
    private readonly MockSplitQueue _driver;
    private readonly List<IDisposable> _devices = [];

    public DiskImageOpenerTests() => _driver = new MockSplitQueue(Memory, 16);

    public override void Dispose()
    {
        foreach (var device in _devices) device.Dispose();
        _loop.Dispose();
        File.Delete(_path);
        base.Dispose();
    }

    private BlockDevice Open(string options)
    {
        var device = (BlockDevice)new BlockFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + options] })).Single();
        _devices.Add(device);
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue()], new FakeInterrupts(), _loop, _ => { }));
        return device;
    }

    private string OpenError(string options) =>
        Assert.Throws<DeviceConfigException>(() => new BlockFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + options] }))).Message;

    private static readonly byte[] Qcow2Magic = [(byte)'Q', (byte)'F', (byte)'I', 0xfb];

    private byte Request(uint type, ulong sector, ulong data, uint bytes)
    {
        Memory.Write(new GuestAddress(Header), new VirtioBlkRequestHeader { Type = type, Sector = sector });
        Fill(Status, [0xff]);
        int before = _driver.UsedIdx;
        _driver.AddChain((Header, 16, false), (data, bytes, type == VIRTIO_BLK_T_IN), (Status, 1, true));
        _devices.OfType<BlockDevice>().Last().QueueNotify(0);
        Assert.True(SpinWait.SpinUntil(() => _driver.UsedIdx == before + 1, TimeSpan.FromSeconds(10)));
        return Bytes(Status, 1)[0];
    }

    [Fact]
    public void A_probed_qcow2_image_with_a_backing_file_is_refused_and_format_raw_serves_its_bytes()
    {
        string backing = _path + ".base";
        QemuTools.Img("create", "-q", "-f", "raw", backing, "1M");
        File.Delete(_path);
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", backing, "-F", "raw", _path);
        try
        {
            var probed = OpenError("");
            Assert.StartsWith($"--disk {_path}: ", probed);
            Assert.Contains("format=qcow2", probed);

            // As a raw disk its bytes are served as they are, once its size is whole sectors.
            using (var file = File.OpenWrite(_path)) file.SetLength((file.Length + 511) / 512 * 512);
            Open(",format=raw");
            Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_IN, 0, Data, 512));
            Assert.Equal(Qcow2Magic, Bytes(Data, 4));
        }
        finally
        {
            File.Delete(backing);
        }
    }

    [Fact]
    public void A_probed_qcow2_image_without_a_backing_file_serves_its_virtual_disk()
    {
        File.Delete(_path);
        QemuTools.Img("create", "-q", "-f", "qcow2", _path, "1M");
        Open("");
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_IN, 0, Data, 512));
        Assert.Equal(new byte[512], Bytes(Data, 512));
    }

    [Theory]
    [InlineData(",format=qcow2,cache=none")]
    [InlineData(",cache=none")]   // probed
    public void A_qcow2_image_with_cache_none_is_refused_not_served_through_the_page_cache(string options)
    {
        File.Delete(_path);
        QemuTools.Img("create", "-q", "-f", "qcow2", _path, "1M");
        Assert.Equal($"--disk {_path}: cache=none is for raw images; a qcow2 image goes through the page cache (leave out cache=none)", OpenError(options));
    }

    [Fact]
    public void An_image_without_the_magic_is_probed_raw()
    {
        var contents = new byte[8192];
        Random.Shared.NextBytes(contents);
        contents[0] = (byte)'Q';
        File.WriteAllBytes(_path, contents);
        Open("");
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_IN, 2, Data, 1024));
        Assert.Equal(contents.AsSpan(1024, 1024).ToArray(), Bytes(Data, 1024));
    }

    [Fact]
    public unsafe void A_raw_read_in_the_page_cache_is_done_without_waiting_and_O_DIRECT_is_left_to_the_workers()
    {
        var contents = new byte[64 << 10];
        Random.Shared.NextBytes(contents);
        File.WriteAllBytes(_path, contents);   // just written: in the page cache
        var buffer = new byte[4096];
        fixed (byte* bytes = buffer)
        {
            Libc.IoVec[] iov = [new() { iov_base = bytes, iov_len = 4096 }];
            using (var cached = DiskImageOpener.Open(DiskSpec.Parse(_path, 0, 1)).Image)
            {
                long result = cached.ReadCached(iov, 8192);
                switch (FileSystemOf(_path))
                {
                    case "ext4" or "xfs" or "btrfs":
                        Assert.Equal(4096, result);
                        Assert.Equal(contents.AsSpan(8192, 4096).ToArray(), buffer);
                        break;
                    case "tmpfs":   // takes no RWF_NOWAIT: every read goes to the workers
                        Assert.Equal(0, result);
                        break;
                    default:
                        Assert.True(result is 0 or 4096, $"ReadCached gave {result}");
                        break;
                }
            }
            using (var direct = DiskImageOpener.Open(DiskSpec.Parse(_path + ",cache=none", 0, 1)).Image)
                Assert.Equal(0, direct.ReadCached(iov, 8192));
        }
    }

    internal static string FileSystemOf(string path) =>
        DriveInfo.GetDrives().Where(drive => path.StartsWith(drive.Name, StringComparison.Ordinal)).MaxBy(drive => drive.Name.Length)!.DriveFormat;

    [Theory]
    [InlineData(0)]      // page-aligned buffers: straight from the disk
    [InlineData(100)]    // not aligned: through a bounce buffer
    public void Cache_none_reads_and_writes_through_O_DIRECT_at_any_buffer_alignment(int misalignment)
    {
        var contents = new byte[64 << 10];
        Random.Shared.NextBytes(contents);
        File.WriteAllBytes(_path, contents);
        var device = Open(",cache=none");
        Span<byte> config = stackalloc byte[ConfigSize];
        device.ReadConfig(0, config);
        uint blockSize = BitConverter.ToUInt32(config[ConfigBlkSize..]);
        int bytes = (int)Math.Max(blockSize, 4096);
        ulong data = Data + (ulong)misalignment;

        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_IN, 16, data, (uint)bytes));
        Assert.Equal(contents.AsSpan(16 * 512, bytes).ToArray(), Bytes(data, bytes));

        var pattern = new byte[bytes];
        Random.Shared.NextBytes(pattern);
        Fill(data, pattern);
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_OUT, 64, data, (uint)bytes));
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_FLUSH, 0, data, 0));
        Assert.Equal(pattern, File.ReadAllBytes(_path).AsSpan(64 * 512, bytes).ToArray());
    }
}
