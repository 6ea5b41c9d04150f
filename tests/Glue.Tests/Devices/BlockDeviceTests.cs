using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Devices.Block;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Block.VirtioBlk;

namespace Glue.Tests.Devices;

/// <summary>Block requests against a temporary image file through a mock queue (virtio 1.2 §5.2.6).</summary>
public sealed class BlockDeviceTests : VirtioTestBase
{
    private const int DiskSectors = 64;
    private const ulong Header = Buffers;
    private const ulong Data = Buffers + 0x1000;
    private const ulong Status = Buffers + 0x8000;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"glue-blk-test-{Guid.NewGuid():N}.img");
    private readonly EventLoop _loop = new("blk-test");
    private readonly FakeInterrupts _interrupts = new();
    private readonly MockSplitQueue _driver;
    private BlockDevice? _device;

    public BlockDeviceTests()
    {
        var contents = new byte[DiskSectors * SectorSize];
        for (int i = 0; i < contents.Length; i++) contents[i] = (byte)(i / SectorSize + i);
        File.WriteAllBytes(_path, contents);
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
        var feature = new BlockFeature();
        _device = (BlockDevice)feature.Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + options] })).Single();
        _device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue()], _interrupts, _loop, _ => { }));
        return _device;
    }

    private void WriteHeader(uint type, ulong sector) =>
        Memory.Write(new Glue.Core.Memory.GuestAddress(Header), new VirtioBlkRequestHeader { Type = type, Sector = sector });

    /// <summary>Publishes header, data, status as one chain and serves it; returns (status, used length).</summary>
    private (byte Status, uint Used) Request(uint type, ulong sector, uint dataBytes, bool dataWritable)
    {
        WriteHeader(type, sector);
        Fill(Status, [0xff]);
        int before = _driver.UsedIdx;
        if (dataBytes > 0)
            _driver.AddChain((Header, 16, false), (Data, dataBytes, dataWritable), (Status, 1, true));
        else
            _driver.AddChain((Header, 16, false), (Status, 1, true));
        _device!.QueueNotify(0);
        Assert.Equal(before + 1, _driver.UsedIdx);
        return (Bytes(Status, 1)[0], _driver.UsedElement(before).Len);
    }

    private byte[] FileBytes(long sector, int sectors) => File.ReadAllBytes(_path).AsSpan((int)(sector * SectorSize), sectors * SectorSize).ToArray();

    [Fact]
    public void Config_has_capacity_seg_max_and_block_size_and_features_match_the_options()
    {
        var device = Open();
        Span<byte> config = stackalloc byte[ConfigSize];
        device.ReadConfig(0, config);
        Assert.Equal((ulong)DiskSectors, MemoryMarshal.Read<ulong>(config));
        Assert.Equal(254u, MemoryMarshal.Read<uint>(config[ConfigSegMax..]));
        Assert.Equal(512u, MemoryMarshal.Read<uint>(config[ConfigBlkSize..]));
        Assert.Equal(VirtioFeatures.Bit(VIRTIO_BLK_F_SEG_MAX) | VirtioFeatures.Bit(VIRTIO_BLK_F_BLK_SIZE) | VirtioFeatures.Bit(VIRTIO_BLK_F_FLUSH)
            | VirtioFeatures.Bit(VIRTIO_BLK_F_DISCARD) | VirtioFeatures.Bit(VIRTIO_BLK_F_WRITE_ZEROES), device.Features);
    }

    [Fact]
    public void In_reads_the_sectors_into_guest_memory()
    {
        Open();
        var (status, used) = Request(VIRTIO_BLK_T_IN, 3, 2 * SectorSize, dataWritable: true);
        Assert.Equal(VIRTIO_BLK_S_OK, status);
        Assert.Equal(2u * SectorSize + 1, used);
        Assert.Equal(FileBytes(3, 2), Bytes(Data, 2 * SectorSize));
    }

    [Fact]
    public void In_across_several_buffers_fills_each_in_order()
    {
        Open();
        WriteHeader(VIRTIO_BLK_T_IN, 5);
        _driver.AddChain((Header, 16, false), (Data, 100, true), (Data + 0x1000, 924, true), (Status, 1, true));
        _device!.QueueNotify(0);
        Assert.Equal(1025u, _driver.UsedElement(0).Len);
        Assert.Equal(FileBytes(5, 2), Bytes(Data, 100).Concat(Bytes(Data + 0x1000, 924)).ToArray());
        Assert.Equal(VIRTIO_BLK_S_OK, Bytes(Status, 1)[0]);
    }

    [Fact]
    public void Out_writes_the_file_and_flush_succeeds()
    {
        Open();
        var pattern = Enumerable.Range(0, SectorSize).Select(i => (byte)(i * 7)).ToArray();
        Fill(Data, pattern);
        var (status, used) = Request(VIRTIO_BLK_T_OUT, 10, SectorSize, dataWritable: false);
        Assert.Equal((VIRTIO_BLK_S_OK, 1u), (status, used));
        Assert.Equal(pattern, FileBytes(10, 1));

        Assert.Equal((VIRTIO_BLK_S_OK, 1u), Request(VIRTIO_BLK_T_FLUSH, 0, 0, false));
    }

    [Fact]
    public void Get_id_returns_the_id_option()
    {
        Open(",id=disk-7");
        var (status, used) = Request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, dataWritable: true);
        Assert.Equal(VIRTIO_BLK_S_OK, status);
        Assert.Equal(21u, used);
        Assert.Equal("disk-7\0\0\0\0\0\0\0\0\0\0\0\0\0\0"u8.ToArray(), Bytes(Data, VIRTIO_BLK_ID_BYTES));
    }

    [Fact]
    public void A_read_only_disk_offers_RO_and_fails_writes_with_IOERR()
    {
        var device = Open(",ro");
        Assert.True(VirtioFeatures.Has(device.Features, VIRTIO_BLK_F_RO));
        Assert.False(VirtioFeatures.Has(device.Features, VIRTIO_BLK_F_DISCARD));
        Assert.False(VirtioFeatures.Has(device.Features, VIRTIO_BLK_F_WRITE_ZEROES));
        var before = FileBytes(0, 1);
        Fill(Data, new byte[SectorSize]);
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_OUT, 0, SectorSize, dataWritable: false).Status);
        Assert.Equal(before, FileBytes(0, 1));
        Assert.Equal(VIRTIO_BLK_S_OK, Request(VIRTIO_BLK_T_IN, 0, SectorSize, dataWritable: true).Status);
    }

    [Theory]
    [InlineData(DiskSectors, 1)]          // starts at the end
    [InlineData(DiskSectors - 1, 2)]      // runs past the end
    [InlineData(ulong.MaxValue, 1)]       // would overflow
    public void Sectors_outside_the_disk_fail_with_IOERR(ulong sector, int sectors)
    {
        Open();
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_IN, sector, (uint)(sectors * SectorSize), dataWritable: true).Status);
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_OUT, sector, (uint)(sectors * SectorSize), dataWritable: false).Status);
    }

    [Fact]
    public void Data_that_is_not_whole_sectors_fails_with_IOERR()
    {
        Open();
        Assert.Equal(VIRTIO_BLK_S_IOERR, Request(VIRTIO_BLK_T_IN, 0, 100, dataWritable: true).Status);
    }

    [Fact]
    public void Unknown_request_types_are_UNSUPP()
    {
        Open();
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(14 /* SECURE_ERASE, not offered */, 0, 0, false).Status);
        Assert.Equal(VIRTIO_BLK_S_UNSUPP, Request(0x1234, 0, 0, false).Status);
    }

    [Fact]
    public void A_header_too_short_gets_IOERR_and_a_chain_with_no_status_byte_is_used_empty()
    {
        Open();
        Fill(Status, [0xff]);
        _driver.AddChain((Header, 8, false), (Status, 1, true));
        _device!.QueueNotify(0);
        Assert.Equal((VIRTIO_BLK_S_IOERR, 1u), (Bytes(Status, 1)[0], _driver.UsedElement(0).Len));

        WriteHeader(VIRTIO_BLK_T_IN, 0);
        _driver.AddChain((Header, 16, false));
        _device.QueueNotify(0);
        Assert.Equal(2, _driver.UsedIdx);
        Assert.Equal(0u, _driver.UsedElement(1).Len);
    }

    [Fact]
    public void A_missing_file_is_a_config_error()
    {
        var values = new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + ".missing"] });
        var error = Assert.Throws<DeviceConfigException>(() => new BlockFeature().Create(values));
        Assert.Contains("no such file", error.Message);
    }

    [Fact]
    public void A_size_not_a_multiple_of_512_is_a_config_error()
    {
        File.WriteAllBytes(_path, new byte[1000]);
        var values = new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path] });
        var error = Assert.Throws<DeviceConfigException>(() => new BlockFeature().Create(values));
        Assert.Contains("1000 bytes", error.Message);
    }

    [Theory]
    [InlineData(",rw")]
    [InlineData(",id=")]
    [InlineData(",id=this-id-is-longer-than-20")]
    [InlineData(",id=two words")]
    [InlineData(",format=vmdk")]
    [InlineData(",cache=directsync")]
    public void Bad_attributes_are_config_errors(string attributes)
    {
        var values = new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [_path + attributes] });
        Assert.Throws<DeviceConfigException>(() => new BlockFeature().Create(values));
    }
}
