using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Memory;
using Glue.Devices.Block;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Microsoft.Win32.SafeHandles;
using Xunit;
using static Glue.Devices.Block.VirtioBlk;

namespace Glue.Tests.Devices.Block;

/// <summary>
/// DISCARD and WRITE_ZEROES (virtio 1.2 §5.2.6) on a real raw file: a discard punches a hole (SEEK_HOLE finds it),
/// write-zeroes reads back as zeroes with or without unmap, and what the device does not offer is UNSUPP.
/// </summary>
public sealed partial class BlockDiscardTests : VirtioTestBase
{
    private const int DiskBytes = 4 << 20;
    private const ulong Header = Buffers;
    private const ulong Range = Buffers + 0x100;
    private const ulong Status = Buffers + 0x200;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"glue-blk-discard-{Guid.NewGuid():N}.img");
    private readonly EventLoop _loop = new("blk-discard-test");
    private readonly MockSplitQueue _driver;
    private readonly byte[] _contents = new byte[DiskBytes];
    private BlockDevice? _device;

    public BlockDiscardTests()
    {
        Random.Shared.NextBytes(_contents);
        File.WriteAllBytes(_path, _contents);
        _driver = new MockSplitQueue(Memory, 16);
    }

    public override void Dispose()
    {
        _device?.Dispose();
        _loop.Dispose();
        File.Delete(_path);
        base.Dispose();
    }

    private BlockDevice Open(string options = "")
    {
        _device = (BlockDevice)new BlockFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + options] })).Single();
        _device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue()], new FakeInterrupts(), _loop, _ => { }));
        return _device;
    }

    /// <summary>One request with <paramref name="ranges"/> as its data; returns its status.</summary>
    private byte Request(uint type, params VirtioBlkDiscardWriteZeroes[] ranges)
    {
        Memory.Write(new GuestAddress(Header), new VirtioBlkRequestHeader { Type = type });
        Memory.Write(new GuestAddress(Range), MemoryMarshal.AsBytes(ranges.AsSpan()));
        Fill(Status, [0xff]);
        int before = _driver.UsedIdx;
        _driver.AddChain((Header, 16, false), (Range, (uint)(16 * ranges.Length), false), (Status, 1, true));
        _device!.QueueNotify(0);
        Assert.True(SpinWait.SpinUntil(() => _driver.UsedIdx == before + 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(1u, _driver.UsedElement(before).Len);
        return Bytes(Status, 1)[0];
    }

    private static VirtioBlkDiscardWriteZeroes Sectors(long firstByte, long bytes, uint flags = 0) =>
        new() { Sector = (ulong)(firstByte / SectorSize), NumSectors = (uint)(bytes / SectorSize), Flags = flags };

    /// <summary>Where the first hole at or after <paramref name="offset"/> starts (lseek SEEK_HOLE; the end of the file when there is none).</summary>
    private long HoleAt(long offset)
    {
        using var file = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Lseek((int)file.DangerousGetHandle(), offset, SEEK_HOLE);
    }

    private const int SEEK_HOLE = 4;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    private byte[] FileBytes(long offset, int length) => File.ReadAllBytes(_path).AsSpan((int)offset, length).ToArray();

    [Fact]
    public void Config_states_the_discard_and_write_zeroes_limits()
    {
        var device = Open();
        Span<byte> config = stackalloc byte[ConfigSize];
        device.ReadConfig(0, config);
        Assert.Equal(BlockDevice.MaxRangeSectors, MemoryMarshal.Read<uint>(config[ConfigMaxDiscardSectors..]));
        Assert.Equal(1u, MemoryMarshal.Read<uint>(config[ConfigMaxDiscardSeg..]));
        Assert.Equal(8u, MemoryMarshal.Read<uint>(config[ConfigDiscardSectorAlignment..]));
        Assert.Equal(BlockDevice.MaxRangeSectors, MemoryMarshal.Read<uint>(config[ConfigMaxWriteZeroesSectors..]));
        Assert.Equal(1u, MemoryMarshal.Read<uint>(config[ConfigMaxWriteZeroesSeg..]));
        Assert.Equal(1, config[ConfigWriteZeroesMayUnmap]);
    }

    [Fact]
    public void Discard_punches_a_hole_and_leaves_the_rest()
    {
        Open();
        Assert.Equal(DiskBytes, HoleAt(0));   // fully allocated to start with
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_DISCARD, Sectors(1 << 20, 1 << 20)));
        Assert.Equal(1 << 20, HoleAt(0));
        Assert.Equal(new byte[1 << 20], FileBytes(1 << 20, 1 << 20));
        Assert.Equal(_contents.AsSpan(0, 1 << 20).ToArray(), FileBytes(0, 1 << 20));
        Assert.Equal(_contents.AsSpan(2 << 20).ToArray(), FileBytes(2 << 20, DiskBytes - (2 << 20)));
        Assert.Equal(DiskBytes, new FileInfo(_path).Length);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_zeroes_reads_back_zeroes_and_unmap_frees_the_range(bool unmap)
    {
        Open();
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_WRITE_ZEROES, Sectors(512 << 10, 256 << 10, unmap ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0)));
        Assert.Equal(new byte[256 << 10], FileBytes(512 << 10, 256 << 10));
        Assert.Equal(_contents.AsSpan(0, 512 << 10).ToArray(), FileBytes(0, 512 << 10));
        Assert.Equal(_contents.AsSpan(768 << 10).ToArray(), FileBytes(768 << 10, DiskBytes - (768 << 10)));
        if (unmap) Assert.Equal(512 << 10, HoleAt(0));
        Assert.Equal(DiskBytes, new FileInfo(_path).Length);
    }

    [Fact]
    public void What_the_device_does_not_offer_is_UNSUPP_and_ranges_outside_the_disk_are_IOERR()
    {
        Open();
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(VIRTIO_BLK_T_DISCARD, Sectors(0, 4096, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)));
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(VIRTIO_BLK_T_DISCARD, Sectors(0, 4096), Sectors(8192, 4096)));
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(VIRTIO_BLK_T_WRITE_ZEROES, Sectors(0, 4096, 2)));
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_DISCARD, Sectors(DiskBytes - 4096, 8192)));
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_WRITE_ZEROES, new VirtioBlkDiscardWriteZeroes { Sector = ulong.MaxValue, NumSectors = 8 }));
        Assert.Equal(_contents, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_read_only_disk_refuses_discard_and_write_zeroes()
    {
        Open(",ro");
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(VIRTIO_BLK_T_DISCARD, Sectors(0, 4096)));
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(VIRTIO_BLK_T_WRITE_ZEROES, Sectors(0, 4096)));
        Assert.Equal(DiskBytes, HoleAt(0));
    }
}
