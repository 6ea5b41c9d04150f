using Glue.Core.Devices;
using Glue.Core.Memory;
using Glue.Devices.Block;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Block.VirtioBlk;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Tests.Devices.Block;

/// <summary>
/// Many requests in flight at once through one queue: they are served concurrently, complete in the order the disk
/// finishes them (not the order they were made available), and each completion reaches the used ring and, as
/// used_event asks (§2.7.7), the interrupt as it happens. A reset or a stopped ring waits for what is in flight.
/// </summary>
public sealed class BlockConcurrencyTests : VirtioTestBase
{
    private const int Requests = 16;
    private const ulong Headers = Buffers;               // 16 bytes each
    private const ulong Data = Buffers + 0x10000;        // one 4 KiB page each
    private const ulong Statuses = Buffers + 0x80000;    // one byte each

    private readonly EventLoop _loop = new("blk-concurrency-test");
    private readonly FakeInterrupts _interrupts = new();
    private readonly MockSplitQueue _driver;
    private readonly List<BlockDevice> _devices = [];

    public BlockConcurrencyTests() => _driver = new MockSplitQueue(Memory, 64);

    public override void Dispose()
    {
        foreach (var device in _devices) device.Dispose();
        _loop.Dispose();
        base.Dispose();
    }

    private BlockDevice Activate(IDiskImage image, int workers, TimeSpan? pollWindow = null)
    {
        var device = new BlockDevice(image, "test", workers: workers, pollWindow: pollWindow);
        _devices.Add(device);
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue()], _interrupts, _loop, _ => { }));
        return device;
    }

    /// <summary>Makes request <paramref name="i"/> available: a read of sector i*8, 4 KiB; returns its head.</summary>
    private ushort AddRead(int i)
    {
        ulong header = Headers + (ulong)i * 16;
        Memory.Write(new GuestAddress(header), new VirtioBlkRequestHeader { Type = VIRTIO_BLK_T_IN, Sector = (ulong)i * 8 });
        Fill(Statuses + (ulong)i, [0xff]);
        return _driver.AddChain((header, 16, false), (Data + (ulong)i * 0x1000, 4096, true), (Statuses + (ulong)i, 1, true));
    }

    private void WaitForUsed(int count) =>
        Assert.True(SpinWait.SpinUntil(() => _driver.UsedIdx >= count, TimeSpan.FromSeconds(10)), $"used idx {_driver.UsedIdx}, waited for {count}");

    [Fact]
    public void Requests_of_one_kick_are_served_concurrently_and_complete_in_the_order_they_finish()
    {
        var image = new GatedDiskImage(1 << 20);
        var device = Activate(image, workers: Requests);
        var heads = Enumerable.Range(0, Requests).Select(AddRead).ToArray();

        device.QueueNotify(0);
        Assert.True(image.WaitForWaiting(Requests), $"only {image.MostWaiting} requests were in flight at once");
        Assert.Equal(0, _driver.UsedIdx);

        for (int done = 0; done < Requests; done++)
        {
            int i = Requests - 1 - done;   // the last made available finishes first
            image.Release((long)i * 8 * SectorSize);
            WaitForUsed(done + 1);
            Assert.Equal(((uint)heads[i], 4097u), _driver.UsedElement(done));
            Assert.Equal(VIRTIO_BLK_S_OK, Bytes(Statuses + (ulong)i, 1)[0]);
            Assert.All(Bytes(Data + (ulong)i * 0x1000, 4096).Chunk(SectorSize).Select((sector, s) => (sector, s)),
                x => Assert.All(x.sector, b => Assert.Equal((byte)(i * 8 + x.s), b)));
        }
    }

    [Fact]
    public void Completions_interrupt_only_when_the_used_idx_passes_used_event()
    {
        var image = new GatedDiskImage(1 << 20);
        var device = Activate(image, workers: Requests);
        for (int i = 0; i < Requests; i++) AddRead(i);
        _driver.UsedEvent = 7;   // the driver wants to hear when the 8th is used
        device.QueueNotify(0);
        Assert.True(image.WaitForWaiting(Requests));

        var interruptsAfter = new List<int>();
        for (int i = 0; i < Requests; i++)
        {
            image.Release((long)i * 8 * SectorSize);
            WaitForUsed(i + 1);
            lock (_interrupts.UsedBuffers) interruptsAfter.Add(_interrupts.UsedBuffers.Count);
        }
        // The first completion always interrupts (nothing was signalled yet); then only the one that passes used_event.
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2], interruptsAfter);
    }

    [Fact]
    public void A_lone_request_is_served_before_the_kick_returns()
    {
        var image = new GatedDiskImage(1 << 20);
        image.Release(0);
        var device = Activate(image, workers: 4);
        ushort head = AddRead(0);
        device.QueueNotify(0);
        Assert.Equal(1, _driver.UsedIdx);
        Assert.Equal(((uint)head, 4097u), _driver.UsedElement(0));
    }

    [Fact]
    public void A_request_made_available_while_the_ring_is_polled_is_served_without_a_notification()
    {
        var image = new GatedDiskImage(1 << 20);
        image.Release(0);
        image.Release(8 * SectorSize);
        var device = Activate(image, workers: 4, pollWindow: TimeSpan.FromSeconds(3));
        AddRead(0);
        var kick = new Thread(() => device.QueueNotify(0));
        kick.Start();
        try
        {
            WaitForUsed(1);
            AddRead(1);
            // §2.7.10: avail_event still says entry 0, so adding entry 1 asks for no notification; none is sent.
            Assert.Equal(0, _driver.AvailEvent);
            WaitForUsed(2);
        }
        finally
        {
            Assert.True(kick.Join(TimeSpan.FromSeconds(10)), "the kick did not return after the poll window");
        }
        Assert.Equal(2, _driver.AvailEvent);   // the window passed with nothing new: notify at the next entry
    }

    [Fact]
    public void A_cached_read_completes_before_the_kick_returns_while_the_others_wait_for_workers()
    {
        var image = new GatedDiskImage(1 << 20);
        image.Release(8 * SectorSize);   // request 1's bytes are in the page cache
        var device = Activate(image, workers: 4);
        AddRead(0);
        ushort cached = AddRead(1);
        AddRead(2);
        try
        {
            device.QueueNotify(0);
            Assert.Equal(1, _driver.UsedIdx);
            Assert.Equal(((uint)cached, 4097u), _driver.UsedElement(0));
            Assert.All(Bytes(Data + 0x1000, 4096).Chunk(SectorSize).Select((sector, s) => (sector, s)),
                x => Assert.All(x.sector, b => Assert.Equal((byte)(8 + x.s), b)));
            Assert.True(image.WaitForWaiting(2), $"only {image.MostWaiting} reads went to the workers");
        }
        finally
        {
            image.Release(0);
            image.Release(16 * SectorSize);
        }
        WaitForUsed(3);
    }

    [Fact]
    public void A_read_the_page_cache_holds_in_part_goes_to_a_worker_for_the_rest_only()
    {
        var image = new GatedDiskImage(1 << 20);
        image.CacheFront(0, 5000);   // the cache holds the first 5000 bytes of a 16 KiB read, in its first buffer of two
        var device = Activate(image, workers: 4);
        AddRead(1);                  // in flight, so that the partly cached read is not served alone on the I/O thread
        Memory.Write(new GuestAddress(Headers), new VirtioBlkRequestHeader { Type = VIRTIO_BLK_T_IN, Sector = 0 });
        Fill(Statuses, [0xff]);
        ulong buffer = Data + 0x10000;
        ushort head = _driver.AddChain((Headers, 16, false), (buffer, 8192, true), (buffer + 8192, 8192, true), (Statuses, 1, true));

        device.QueueNotify(0);
        Assert.True(image.WaitForWaiting(2));
        image.Release(5000);         // the worker's read starts where the cache stopped
        WaitForUsed(1);
        Assert.Equal(((uint)head, 16385u), _driver.UsedElement(0));
        Assert.Equal(VIRTIO_BLK_S_OK, Bytes(Statuses, 1)[0]);
        Assert.All(Bytes(buffer, 16384).Select((b, i) => (b, i)), x => Assert.Equal((byte)(x.i / SectorSize), x.b));
        image.Release(8 * SectorSize);
        WaitForUsed(2);
    }

    [Fact]
    public void Reset_and_a_stopped_queue_wait_for_the_requests_in_flight()
    {
        var image = new GatedDiskImage(1 << 20);
        var device = Activate(image, workers: 4);
        AddRead(0);
        AddRead(1);
        device.QueueNotify(0);
        Assert.True(image.WaitForWaiting(2));

        var stop = Started(() => device.StopQueue(0));
        Assert.False(stop.Join(200));
        image.Release(0);
        Assert.False(stop.Join(200));
        image.Release(8 * SectorSize);
        Assert.True(stop.Join(10_000));
        Assert.Equal(2, _driver.UsedIdx);

        AddRead(2);
        AddRead(3);
        device.QueueNotify(0);
        Assert.True(image.WaitForWaiting(2));
        var reset = Started(device.Reset);
        Assert.False(reset.Join(200));
        image.Release(16 * SectorSize);
        image.Release(24 * SectorSize);
        Assert.True(reset.Join(10_000));
        Assert.Equal(4, _driver.UsedIdx);
    }

    [Fact]
    public void With_several_queues_each_completes_on_its_own_ring_and_interrupt()
    {
        var image = new GatedDiskImage(1 << 20);
        var second = new MockSplitQueue(Memory, 64, baseAddress: 0x8000);
        var device = new BlockDevice(image, "test", queues: 2, workers: 4);
        _devices.Add(device);
        Assert.True(VirtioFeatures.Has(device.Features, VIRTIO_BLK_F_MQ));
        Span<byte> config = stackalloc byte[ConfigSize];
        device.ReadConfig(0, config);
        Assert.Equal(2, BitConverter.ToUInt16(config[ConfigNumQueues..]));
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue(), second.CreateQueue()], _interrupts, _loop, _ => { }));

        Memory.Write(new GuestAddress(Headers), new VirtioBlkRequestHeader { Type = VIRTIO_BLK_T_IN, Sector = 8 });
        ushort head = second.AddChain((Headers, 16, false), (Data, 4096, true), (Statuses, 1, true));
        image.Release(8 * SectorSize);
        device.QueueNotify(1);
        Assert.True(SpinWait.SpinUntil(() => second.UsedIdx == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(((uint)head, 4097u), second.UsedElement(0));
        Assert.Equal(0, _driver.UsedIdx);
        lock (_interrupts.UsedBuffers) Assert.Equal([1], _interrupts.UsedBuffers);
    }

    private static Thread Started(Action action)
    {
        var thread = new Thread(() => action()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    [Fact]
    public void Many_writes_and_reads_in_flight_reach_the_file_exactly()
    {
        string path = Path.Combine(Path.GetTempPath(), $"glue-blk-many-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(path, new byte[Requests * 4096]);
        try
        {
            var device = (BlockDevice)new BlockFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [path] })).Single();
            _devices.Add(device);
            device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_driver.CreateQueue()], _interrupts, _loop, _ => { }));
            var expected = new byte[Requests * 4096];
            Random.Shared.NextBytes(expected);
            for (int i = 0; i < Requests; i++)
            {
                ulong header = Headers + (ulong)i * 16;
                Memory.Write(new GuestAddress(header), new VirtioBlkRequestHeader { Type = VIRTIO_BLK_T_OUT, Sector = (ulong)i * 8 });
                Fill(Data + (ulong)i * 0x1000, expected.AsSpan(i * 4096, 4096).ToArray());
                // Two buffers per request: one pwritev carries both.
                _driver.AddChain((header, 16, false), (Data + (ulong)i * 0x1000, 1024, false), (Data + (ulong)i * 0x1000 + 1024, 3072, false), (Statuses + (ulong)i, 1, true));
            }
            device.QueueNotify(0);
            WaitForUsed(Requests);
            Assert.All(Enumerable.Range(0, Requests), i => Assert.Equal(VIRTIO_BLK_S_OK, Bytes(Statuses + (ulong)i, 1)[0]));

            Memory.GetSpan(new GuestAddress(Data), Requests * 4096).Clear();
            for (int i = 0; i < Requests; i++) AddRead(i);
            device.QueueNotify(0);
            WaitForUsed(2 * Requests);
            Assert.Equal(expected, Bytes(Data, Requests * 4096));
            device.Dispose();
            Assert.Equal(expected, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
