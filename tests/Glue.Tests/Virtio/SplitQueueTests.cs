using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Tests.Virtio;

public sealed class SplitQueueTests : VirtioTestBase
{
    [Fact]
    public void An_empty_queue_pops_nothing()
    {
        var queue = new MockSplitQueue(Memory, 8).CreateQueue();
        Assert.False(queue.TryPop(out _));
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void A_queue_that_is_not_ready_pops_nothing()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain((Buffers, 16, false));
        var queue = new SplitQueue(Memory, 8) { DescTable = driver.DescTable, AvailRing = driver.AvailRing, UsedRing = driver.UsedRing };
        Assert.False(queue.TryPop(out _));
    }

    [Fact]
    public void A_single_readable_descriptor_pops_as_one_readable_segment()
    {
        var driver = new MockSplitQueue(Memory, 8);
        ushort head = driver.AddChain((Buffers, 64, false));
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal(head, chain.Head);
        Assert.Equal([new GuestSegment(new GuestAddress(Buffers), 64)], chain.Readable.ToArray());
        Assert.True(chain.Writable.IsEmpty);
        Assert.Equal(64UL, chain.Reader.Length);
        Assert.Equal(0UL, chain.Writer.Length);
        Assert.False(queue.TryPop(out _));
    }

    [Fact]
    public void A_multi_descriptor_chain_splits_into_readable_then_writable_segments()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain((Buffers, 16, false), (Buffers + 0x1000, 512, false), (Buffers + 0x2000, 512, true), (Buffers + 0x3000, 1, true));
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal([Buffers, Buffers + 0x1000], chain.Readable.ToArray().Select(s => s.Address.Value));
        Assert.Equal([Buffers + 0x2000, Buffers + 0x3000], chain.Writable.ToArray().Select(s => s.Address.Value));
        Assert.Equal(528UL, chain.Reader.Length);
        Assert.Equal(513UL, chain.Writer.Length);
    }

    [Fact]
    public void Chains_pop_in_available_ring_order()
    {
        var driver = new MockSplitQueue(Memory, 8);
        ushort first = driver.AddChain((Buffers, 1, false));
        ushort second = driver.AddChain((Buffers + 0x100, 2, false), (Buffers + 0x200, 2, true));
        ushort third = driver.AddChain((Buffers + 0x300, 3, true));
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal(first, chain.Head);
        Assert.True(queue.TryPop(out chain));
        Assert.Equal(second, chain.Head);
        Assert.True(queue.TryPop(out chain));
        Assert.Equal(third, chain.Head);
        Assert.False(queue.TryPop(out _));
    }

    [Fact]
    public void The_ring_and_the_free_running_indices_wrap_around()
    {
        var driver = new MockSplitQueue(Memory, 4);
        var queue = driver.CreateQueue();
        // 70,000 requests: the avail and used ring positions wrap every 4, the 16-bit indices past 65535.
        for (int i = 0; i < 70_000; i++)
        {
            driver.AddChain((Buffers, 8, true));
            Assert.True(queue.TryPop(out var chain));
            Assert.True(queue.AddUsed(chain.Head, (uint)i));
        }
        Assert.Equal(70_000 % 65_536, queue.NextAvail);
        Assert.Equal(70_000 % 65_536, driver.UsedIdx);
        Assert.Equal((uint)69_999, driver.UsedElement(69_999).Len);
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void Popping_reading_writing_and_returning_a_chain_allocates_nothing()
    {
        var driver = new MockSplitQueue(Memory, 16);
        for (int i = 0; i < 16; i++) driver.AddChain((Buffers, 16, false), (Buffers + 0x100, 64, true));
        var queue = driver.CreateQueue();
        Span<byte> header = stackalloc byte[16];

        RequestCycle(queue, header);   // the first round runs the code once (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 15; i++) RequestCycle(queue, header);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    private static void RequestCycle(SplitQueue queue, Span<byte> header)
    {
        queue.DisableNotification();
        Assert.True(queue.TryPop(out var chain));
        chain.Reader.Read(header);
        chain.Writer.TryWrite(0xabcdUL);
        queue.AddUsed(chain.Head, (uint)chain.Writer.Position);
        queue.EnableNotification();
        queue.NeedsNotification();
    }

    [Fact]
    public void An_indirect_descriptor_pops_the_chain_in_its_table()
    {
        var driver = new MockSplitQueue(Memory, 8);
        const ulong table = 0x30000;
        driver.WriteTable(table,
            new VirtqDesc(Buffers, 16, VIRTQ_DESC_F_NEXT, 2),
            new VirtqDesc(Buffers + 0x100, 99, VIRTQ_DESC_F_WRITE),   // index 1: last, reached from 2
            new VirtqDesc(Buffers + 0x200, 32, VIRTQ_DESC_F_NEXT, 1));
        driver.SetDescriptor(5, table, 3 * 16, VIRTQ_DESC_F_INDIRECT);
        driver.Publish(5);
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal(5, chain.Head);
        Assert.Equal([Buffers, Buffers + 0x200], chain.Readable.ToArray().Select(s => s.Address.Value));
        Assert.Equal([new GuestSegment(new GuestAddress(Buffers + 0x100), 99)], chain.Writable.ToArray());
    }

    [Fact]
    public void Direct_descriptors_may_lead_into_one_indirect_table()
    {
        // §2.7.5.3.2: zero or more normal descriptors followed by a single indirect one.
        var driver = new MockSplitQueue(Memory, 8);
        const ulong table = 0x30000;
        driver.WriteTable(table, new VirtqDesc(Buffers + 0x100, 4, VIRTQ_DESC_F_WRITE));
        driver.SetDescriptor(0, Buffers, 16, VIRTQ_DESC_F_NEXT, 3);
        driver.SetDescriptor(3, table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE);   // WRITE here is ignored
        driver.Publish(0);
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal([Buffers], chain.Readable.ToArray().Select(s => s.Address.Value));
        Assert.Equal([Buffers + 0x100], chain.Writable.ToArray().Select(s => s.Address.Value));
    }

    [Fact]
    public void AddUsed_writes_the_element_before_publishing_the_used_idx()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain((Buffers, 8, false));
        ushort second = driver.AddChain((Buffers + 0x100, 8, true));
        var queue = driver.CreateQueue();
        Assert.True(queue.TryPop(out _));
        Assert.True(queue.TryPop(out _));

        Assert.True(queue.AddUsed(second, 5));

        Assert.Equal(1, driver.UsedIdx);
        Assert.Equal((second, 5u), driver.UsedElement(0));
        Assert.Equal(1, queue.NextUsed);
    }

    [Fact]
    public void A_head_the_device_does_not_hold_is_refused_by_AddUsed()
    {
        var driver = new MockSplitQueue(Memory, 8);
        ushort head = driver.AddChain((Buffers, 8, true));
        var queue = driver.CreateQueue();

        Assert.False(queue.AddUsed(head, 1));      // not popped yet
        Assert.True(queue.TryPop(out _));
        Assert.True(queue.AddUsed(head, 1));
        Assert.False(queue.AddUsed(head, 1));      // returned twice
        Assert.False(queue.AddUsed(200, 1));       // beyond the queue
        Assert.Equal(1, driver.UsedIdx);
        Assert.False(queue.IsBroken);
    }

    [Fact]
    public void UndoPop_gives_the_last_chain_back_for_the_next_pop()
    {
        var driver = new MockSplitQueue(Memory, 8);
        ushort head = driver.AddChain((Buffers, 8, true));
        var queue = driver.CreateQueue();

        Assert.True(queue.TryPop(out _));
        queue.UndoPop();
        Assert.Equal(0, queue.NextAvail);
        Assert.True(queue.TryPop(out var again));
        Assert.Equal(head, again.Head);
        Assert.Throws<InvalidOperationException>(() => { queue.UndoPop(); queue.UndoPop(); });
    }

    [Fact]
    public void Reset_returns_the_queue_to_its_initial_configuration()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain((Buffers, 8, true));
        var queue = driver.CreateQueue();
        Assert.True(queue.TryPop(out _));

        queue.Reset();

        Assert.False(queue.IsReady);
        Assert.Equal(8, queue.Size);
        Assert.Equal(default, queue.DescTable);
        Assert.Equal(0, queue.NextAvail);
        Assert.False(queue.TryPop(out _));
    }

    [Fact]
    public void A_queue_can_start_from_indices_set_before_it_is_enabled()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AvailIdx = 500;
        ushort head = driver.AddChain((Buffers, 8, true));
        var queue = new SplitQueue(Memory, 8) { DescTable = driver.DescTable, AvailRing = driver.AvailRing, UsedRing = driver.UsedRing };
        queue.SetIndices(nextAvail: 500, nextUsed: 500);
        Assert.True(queue.Enable(VirtioFeatures.Core));

        Assert.True(queue.TryPop(out var chain));
        Assert.Equal(head, chain.Head);
        Assert.True(queue.AddUsed(head, 3));
        Assert.Equal(501, driver.UsedIdx);
        Assert.Equal((head, 3u), driver.UsedElement(500));
    }

    [Fact]
    public void Configuration_cannot_change_while_the_queue_is_ready()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        queue.Size = 4;
        queue.DescTable = new GuestAddress(0x8000);
        Assert.Equal(8, queue.Size);
        Assert.Equal(driver.DescTable, queue.DescTable);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(65535)]
    public void A_maximum_size_that_is_not_a_power_of_2_is_a_device_bug(int maxSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitQueue(Memory, (ushort)maxSize));
}
