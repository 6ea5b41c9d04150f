using Glue.Core.Memory;
using Glue.Core.Pci;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.Split.Virtq;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Tests.Virtio;

/// <summary>
/// A driver cannot hold the device's I/O thread: one notification pops at most a queue-size's worth of chains,
/// the rest comes after a re-arm through the event loop, and ring layouts that overlap are refused.
/// </summary>
public sealed class QueueBudgetTests : VirtioTestBase
{
    private SplitQueue Queue(MockSplitQueue driver, List<SplitQueue> rearms, GuestAddress? used = null, GuestAddress? avail = null, GuestAddress? desc = null)
    {
        var queue = new SplitQueue(Memory, driver.Size, rearm: rearms.Add)
        {
            DescTable = desc ?? driver.DescTable,
            AvailRing = avail ?? driver.AvailRing,
            UsedRing = used ?? driver.UsedRing,
        };
        queue.Enable(VirtioFeatures.Core);
        return queue;
    }

    [Fact]
    public void A_used_ring_laid_over_the_avail_ring_is_refused_when_the_queue_is_enabled()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = Queue(driver, [], used: driver.AvailRing);
        Assert.Equal(QueueFault.RingsOverlap, queue.Fault);
    }

    [Theory]
    [InlineData(0x1000, 0x1070, 0x2000)]   // the avail ring starts inside the 128-byte descriptor table
    [InlineData(0x1000, 0x2000, 0x1040)]   // the used ring inside the descriptor table
    [InlineData(0x1000, 0x2000, 0x2014)]   // the used ring on the avail ring's used_event field (event idx on)
    public void Any_two_areas_that_share_a_byte_are_refused(ulong desc, ulong avail, ulong used)
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = Queue(driver, [], new GuestAddress(used), new GuestAddress(avail), new GuestAddress(desc));
        Assert.Equal(QueueFault.RingsOverlap, queue.Fault);
    }

    [Fact]
    public void Areas_that_only_touch_are_accepted()
    {
        var driver = new MockSplitQueue(Memory, 8);
        // desc [0x1000, 0x1080), avail [0x1080, 0x1096) with used_event, used from 0x1098: packed end to end.
        var queue = Queue(driver, [], new GuestAddress(0x1098), new GuestAddress(0x1080), new GuestAddress(0x1000));
        Assert.False(queue.IsBroken);
        Assert.False(SplitQueue.RingsOverlap(new GuestAddress(0x1000), new GuestAddress(0x1080), new GuestAddress(0x1094), 8, eventIdx: false));
        Assert.True(SplitQueue.RingsOverlap(new GuestAddress(0x1000), new GuestAddress(0x1080), new GuestAddress(0x1094), 8, eventIdx: true));
    }

    [Fact]
    public void A_spent_budget_pops_nothing_until_refilled_and_loses_nothing()
    {
        var driver = new MockSplitQueue(Memory, 4);
        var rearms = new List<SplitQueue>();
        var queue = Queue(driver, rearms);
        for (int i = 0; i < 4; i++) driver.AddChain((Buffers + (ulong)i * 64, 64, true));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryPop(out var chain));
            queue.AddUsed(chain.Head, 0);
        }
        driver.AddChain((Buffers, 64, true));

        Assert.False(queue.TryPop(out _));
        Assert.Equal([queue], rearms);
        Assert.False(queue.EnableNotification());   // the device's drain loop ends: the re-arm brings it back
        Assert.False(queue.TryPop(out _));
        Assert.Single(rearms);                       // asked once per spent budget
        Assert.False(queue.IsBroken);

        queue.RefillBudget();
        Assert.True(queue.TryPop(out var next));
        Assert.Equal(Buffers, next.Writable[0].Address.Value);
    }

    /// <summary>
    /// glue run: a driver that makes a new chain available for every one the device uses (a guest on another
    /// vCPU can) is served in queue-size batches through the kick eventfd, and every chain is used.
    /// </summary>
    [Fact]
    public void A_driver_that_refills_as_fast_as_the_device_serves_is_served_in_batches_through_the_event_loop()
    {
        const int Total = 40;
        using var loop = new EventLoop("budget-test");
        var device = new RefillingDevice(Total);
        using var state = new VirtioDeviceState(device, Memory, new FakeInterrupts(), loop);
        var driver = new MockSplitQueue(Memory, 8);
        const byte Ack = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
        state.WriteStatus(Ack);
        state.DriverFeatureSelect = 1;
        state.DriverFeatures = 1;   // VIRTIO_F_VERSION_1
        state.WriteStatus(Ack | VIRTIO_CONFIG_S_FEATURES_OK);
        state.QueueSelect = 0;
        state.QueueSize = 8;
        state.QueueDesc = driver.DescTable.Value;
        state.QueueDriver = driver.AvailRing.Value;
        state.QueueDevice = driver.UsedRing.Value;
        state.QueueReady = true;
        state.WriteStatus(Ack | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
        for (int i = 0; i < 8; i++) driver.AddChain((Buffers + (ulong)i * 64, 64, true));

        state.NotifyQueue(0);
        Assert.True(device.Done.Wait(TimeSpan.FromSeconds(10)), $"served {device.Served} of {Total}");
        Assert.Equal(Total, driver.UsedIdx);
        Assert.True(device.Notifications >= Total / 8, $"{device.Notifications} notifications");
        Assert.True(device.MostInOneNotification <= 8, $"{device.MostInOneNotification} chains in one notification");
        loop.Stop();
    }

    /// <summary>A device that, for each chain it uses, plays the driver and makes the same head available again, up to a total.</summary>
    private sealed class RefillingDevice(int total) : IVirtioDevice
    {
        private VirtioActivation? _activation;
        public uint DeviceId => VirtioIds.VIRTIO_ID_RNG;
        public string Name => "rng";
        public uint PciClass => PciClassCodes.PCI_CLASS_OTHERS;
        public ulong Features => 0;
        public IReadOnlyList<ushort> QueueMaxSizes { get; } = [8];
        public int ConfigSize => 0;
        public int Served { get; private set; }
        public int Notifications { get; private set; }
        public int MostInOneNotification { get; private set; }
        public ManualResetEventSlim Done { get; } = new();

        public void ReadConfig(int offset, Span<byte> data) { }
        public void WriteConfig(int offset, ReadOnlySpan<byte> data) { }
        public void Activate(VirtioActivation activation) => _activation = activation;
        public void Reset() => _activation = null;

        public void QueueNotify(int queue)
        {
            if (_activation is null) return;
            var q = _activation.Queues[0];
            var memory = _activation.Memory;
            Notifications++;
            int popped = 0;
            do
            {
                q.DisableNotification();
                while (Served < total && q.TryPop(out var chain))
                {
                    popped++;
                    Served++;
                    ushort head = chain.Head;
                    q.AddUsed(head, 0);
                    // The driver republishes the head at once: avail ring entry, then idx.
                    ushort idx = memory.Read<ushort>(q.AvailRing.Offset(2));
                    memory.Write(q.AvailRing.Offset((ulong)(RingHeaderSize + 2 * (idx % q.Size))), head);
                    memory.Write(q.AvailRing.Offset(2), (ushort)(idx + 1));
                }
            } while (Served < total && q.EnableNotification());
            MostInOneNotification = Math.Max(MostInOneNotification, popped);
            if (Served == total) Done.Set();
        }
    }
}
