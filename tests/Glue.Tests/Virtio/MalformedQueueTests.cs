using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Tests.Virtio;

/// <summary>
/// A driver that breaks the rules of §2.7 never makes the queue throw: the queue records the fault, tells its
/// owner once, and pops nothing more until it is reset.
/// </summary>
public sealed class MalformedQueueTests : VirtioTestBase
{
    private const ulong Table = 0x30000;
    private readonly MockSplitQueue _driver;
    private readonly List<QueueFault> _reported = [];

    public MalformedQueueTests() => _driver = new MockSplitQueue(Memory, 8);

    private SplitQueue Queue(ulong features = VirtioFeatures.Core) => _driver.CreateQueue(features, q => _reported.Add(q.Fault));

    /// <summary>Publishes descriptor 0 and checks the pop fails with <paramref name="fault"/>, reported once, and the queue stays broken.</summary>
    private void AssertBreaks(QueueFault fault, ulong features = VirtioFeatures.Core)
    {
        _driver.Publish(0);
        var queue = Queue(features);
        AssertBroken(queue, fault);
    }

    private void AssertBroken(SplitQueue queue, QueueFault fault)
    {
        Assert.False(queue.TryPop(out _));
        Assert.Equal(fault, queue.Fault);
        Assert.Equal([fault], _reported);

        // Broken stays broken: a good chain now is not popped, nothing is written, the fault is not reported again.
        _driver.AddChain((Buffers, 8, false));
        Assert.False(queue.TryPop(out _));
        Assert.False(queue.AddUsed(0, 0));
        Assert.False(queue.NeedsNotification());
        Assert.Equal(0, _driver.UsedIdx);
        Assert.Single(_reported);
    }

    [Theory]
    [InlineData(0x100000UL, 1U)]              // just past the first region
    [InlineData(0xffff0UL, 0x20U)]            // straddles the end of the first region
    [InlineData(0x180000UL, 8U)]              // in the hole between regions
    [InlineData(HighRegion + HighRegionSize - 4, 8U)]  // off the end of the last region
    [InlineData(0xfffff000UL, 0x1000U)]       // far above RAM
    public void A_buffer_outside_guest_memory_breaks_the_queue(ulong address, uint length)
    {
        _driver.SetDescriptor(0, address, length);
        AssertBreaks(QueueFault.DescriptorOutsideMemory);
    }

    [Fact]
    public void A_buffer_whose_address_plus_length_overflows_breaks_the_queue()
    {
        _driver.SetDescriptor(0, ulong.MaxValue - 0xf, 0x100);
        AssertBreaks(QueueFault.DescriptorOutsideMemory);
    }

    [Fact]
    public void A_buffer_spanning_two_regions_is_refused_even_where_both_are_RAM()
    {
        _driver.SetDescriptor(0, 0xff000, 0x101001);   // from the first region over the hole into the second
        AssertBreaks(QueueFault.DescriptorOutsideMemory);
    }

    [Fact]
    public void A_buffer_ending_exactly_at_the_end_of_RAM_is_accepted()
    {
        _driver.SetDescriptor(0, HighRegion + HighRegionSize - 16, 16);
        _driver.Publish(0);
        Assert.True(Queue().TryPop(out var chain));
        Assert.Equal(16UL, chain.Reader.Length);
    }

    [Fact]
    public void A_loop_in_the_descriptor_table_breaks_the_queue()
    {
        _driver.SetDescriptor(0, Buffers, 8, VIRTQ_DESC_F_NEXT, 1);
        _driver.SetDescriptor(1, Buffers, 8, VIRTQ_DESC_F_NEXT, 0);
        AssertBreaks(QueueFault.DescriptorLoop);
    }

    [Fact]
    public void A_descriptor_pointing_at_itself_breaks_the_queue()
    {
        _driver.SetDescriptor(0, Buffers, 8, VIRTQ_DESC_F_NEXT, 0);
        AssertBreaks(QueueFault.DescriptorLoop);
    }

    [Fact]
    public void A_chain_through_every_descriptor_and_back_breaks_the_queue()
    {
        for (int i = 0; i < 8; i++) _driver.SetDescriptor(i, Buffers, 8, VIRTQ_DESC_F_NEXT, (ushort)((i + 1) % 8));
        AssertBreaks(QueueFault.DescriptorLoop);
    }

    [Fact]
    public void A_loop_inside_an_indirect_table_breaks_the_queue()
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8, VIRTQ_DESC_F_NEXT, 1), new VirtqDesc(Buffers, 8, VIRTQ_DESC_F_NEXT, 0));
        _driver.SetDescriptor(0, Table, 32, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.DescriptorLoop);
    }

    [Fact]
    public void An_indirect_chain_longer_than_the_queue_size_breaks_the_queue()
    {
        // Nine distinct buffers in a queue of eight: §2.7.5.3.1 says no chain is longer than the queue size.
        var descriptors = Enumerable.Range(0, 9)
            .Select(i => new VirtqDesc(Buffers + (ulong)i * 16, 16, i < 8 ? VIRTQ_DESC_F_NEXT : (ushort)0, (ushort)(i + 1)))
            .ToArray();
        _driver.WriteTable(Table, descriptors);
        _driver.SetDescriptor(0, Table, 9 * 16, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.ChainTooLong);
    }

    [Fact]
    public void An_indirect_chain_longer_than_a_smaller_ring_but_within_the_maximum_is_accepted()
    {
        // A driver running a ring of 8 on a device whose queues go up to 16 (a vhost-user frontend picks the ring
        // size after the device stated seg_max from its maximum): 9 buffers are within what the device supports.
        var memory = Memory;
        var driver = new MockSplitQueue(memory, 8);
        var descriptors = Enumerable.Range(0, 9)
            .Select(i => new VirtqDesc(Buffers + (ulong)i * 16, 16, i < 8 ? VIRTQ_DESC_F_NEXT : (ushort)0, (ushort)(i + 1)))
            .ToArray();
        driver.WriteTable(Table, descriptors);
        driver.SetDescriptor(0, Table, 9 * 16, VIRTQ_DESC_F_INDIRECT);
        driver.Publish(0);
        var queue = new SplitQueue(memory, 16) { Size = 8, DescTable = driver.DescTable, AvailRing = driver.AvailRing, UsedRing = driver.UsedRing };
        Assert.True(queue.Enable(VirtioFeatures.Core));
        Assert.True(queue.TryPop(out var chain));
        Assert.Equal(9, chain.Readable.Length);
    }

    [Fact]
    public void An_indirect_chain_exactly_the_queue_size_is_accepted()
    {
        var descriptors = Enumerable.Range(0, 8)
            .Select(i => new VirtqDesc(Buffers + (ulong)i * 16, 16, i < 7 ? VIRTQ_DESC_F_NEXT : (ushort)0, (ushort)(i + 1)))
            .ToArray();
        _driver.WriteTable(Table, descriptors);
        _driver.SetDescriptor(0, Table, 8 * 16, VIRTQ_DESC_F_INDIRECT);
        _driver.Publish(0);
        Assert.True(Queue().TryPop(out var chain));
        Assert.Equal(8, chain.Readable.Length);
    }

    [Fact]
    public void A_nested_indirect_table_breaks_the_queue()
    {
        _driver.WriteTable(Table + 0x100, new VirtqDesc(Buffers, 8));
        _driver.WriteTable(Table, new VirtqDesc(Table + 0x100, 16, VIRTQ_DESC_F_INDIRECT));
        _driver.SetDescriptor(0, Table, 16, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.NestedIndirect);
    }

    [Fact]
    public void An_indirect_descriptor_with_NEXT_breaks_the_queue()
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8));
        _driver.SetDescriptor(0, Table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
        _driver.SetDescriptor(1, Buffers, 8);
        AssertBreaks(QueueFault.IndirectWithNext);
    }

    [Theory]
    [InlineData(0U)]
    [InlineData(15U)]
    [InlineData(24U)]
    public void An_indirect_table_length_not_a_non_zero_multiple_of_16_breaks_the_queue(uint length)
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8), new VirtqDesc(Buffers, 8));
        _driver.SetDescriptor(0, Table, length, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.IndirectLengthInvalid);
    }

    [Fact]
    public void An_indirect_table_outside_guest_memory_breaks_the_queue()
    {
        _driver.SetDescriptor(0, 0x180000, 16, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.IndirectOutsideMemory);
    }

    [Fact]
    public void An_indirect_descriptor_without_VIRTIO_F_INDIRECT_DESC_breaks_the_queue()
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8));
        _driver.SetDescriptor(0, Table, 16, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.IndirectNotNegotiated, VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_VERSION_1));
    }

    [Fact]
    public void A_readable_buffer_after_a_writable_one_breaks_the_queue()
    {
        _driver.SetDescriptor(0, Buffers, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
        _driver.SetDescriptor(1, Buffers + 0x100, 8);
        AssertBreaks(QueueFault.ReadableAfterWritable);
    }

    [Fact]
    public void A_readable_buffer_after_a_writable_one_in_an_indirect_table_breaks_the_queue()
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1), new VirtqDesc(Buffers, 8));
        _driver.SetDescriptor(0, Table, 32, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.ReadableAfterWritable);
    }

    [Fact]
    public void A_next_beyond_the_table_breaks_the_queue()
    {
        _driver.SetDescriptor(0, Buffers, 8, VIRTQ_DESC_F_NEXT, 8);
        AssertBreaks(QueueFault.NextOutOfRange);
    }

    [Fact]
    public void A_next_beyond_an_indirect_table_breaks_the_queue()
    {
        _driver.WriteTable(Table, new VirtqDesc(Buffers, 8, VIRTQ_DESC_F_NEXT, 2), new VirtqDesc(Buffers, 8));
        _driver.SetDescriptor(0, Table, 32, VIRTQ_DESC_F_INDIRECT);
        AssertBreaks(QueueFault.NextOutOfRange);
    }

    [Fact]
    public void A_chain_of_more_than_4_GiB_breaks_the_queue()
    {
        // The byte limit is checked after the address check, so the buffers must be in RAM: this one test maps
        // 6 GiB (lazily: MAP_NORESERVE, and only the rings are touched).
        using var big = new GuestMemory([new GuestRegion(new GuestAddress(0), 0x1_8000_0000)]);
        var driver = new MockSplitQueue(big, 8);
        driver.SetDescriptor(0, 0x1000_0000, uint.MaxValue, VIRTQ_DESC_F_NEXT, 1);
        driver.SetDescriptor(1, 0x1000_0000, 2);
        driver.Publish(0);
        var queue = driver.CreateQueue();
        Assert.False(queue.TryPop(out _));
        Assert.Equal(QueueFault.ChainTooManyBytes, queue.Fault);
    }

    [Fact]
    public void An_avail_idx_more_than_the_queue_size_ahead_breaks_the_queue()
    {
        var queue = Queue();
        _driver.AvailIdx = 9;   // nine chains in a queue of eight
        AssertBroken(queue, QueueFault.AvailIndexJump);
    }

    [Fact]
    public void An_avail_idx_that_went_backwards_breaks_the_queue()
    {
        _driver.AddChain((Buffers, 8, false));
        var queue = Queue();
        Assert.True(queue.TryPop(out var chain));
        Assert.True(queue.AddUsed(chain.Head, 0));
        _driver.AvailIdx = 0;   // 0 - 1 is 65535 chains ahead
        AssertBrokenAfterUse(queue, QueueFault.AvailIndexJump);
    }

    [Fact]
    public void A_head_beyond_the_table_breaks_the_queue()
    {
        _driver.Publish(8);
        AssertBroken(Queue(), QueueFault.HeadOutOfRange);
    }

    [Fact]
    public void A_head_made_available_again_while_the_device_holds_it_breaks_the_queue()
    {
        _driver.SetDescriptor(0, Buffers, 8);
        _driver.Publish(0, 0);
        var queue = Queue();
        Assert.True(queue.TryPop(out _));
        Assert.False(queue.TryPop(out _));
        Assert.Equal(QueueFault.HeadInFlight, queue.Fault);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(16)]   // above the maximum of 8
    public void A_queue_size_that_is_zero_too_big_or_not_a_power_of_2_fails_to_enable(int size)
    {
        var queue = new SplitQueue(Memory, 8, q => _reported.Add(q.Fault))
        {
            Size = (ushort)size, DescTable = _driver.DescTable, AvailRing = _driver.AvailRing, UsedRing = _driver.UsedRing,
        };
        Assert.False(queue.Enable(VirtioFeatures.Core));
        AssertBroken(queue, QueueFault.SizeInvalid);
    }

    [Fact]
    public void A_smaller_power_of_2_size_is_accepted()
    {
        var queue = new SplitQueue(Memory, 8) { Size = 4, DescTable = _driver.DescTable, AvailRing = _driver.AvailRing, UsedRing = _driver.UsedRing };
        Assert.True(queue.Enable(VirtioFeatures.Core));
    }

    [Theory]
    [InlineData(0x1008UL, 0x2000UL, 0x3000UL)]   // descriptor table not 16-aligned
    [InlineData(0x1000UL, 0x2001UL, 0x3000UL)]   // available ring not 2-aligned
    [InlineData(0x1000UL, 0x2000UL, 0x3002UL)]   // used ring not 4-aligned
    public void A_misaligned_ring_fails_to_enable(ulong desc, ulong avail, ulong used)
    {
        var queue = new SplitQueue(Memory, 8, q => _reported.Add(q.Fault))
        {
            DescTable = new GuestAddress(desc), AvailRing = new GuestAddress(avail), UsedRing = new GuestAddress(used),
        };
        Assert.False(queue.Enable(VirtioFeatures.Core));
        AssertBroken(queue, QueueFault.RingMisaligned);
    }

    [Theory]
    [InlineData(0xfffa0UL, 0x2000UL, 0x3000UL)]          // table runs 0x20 past the first region
    [InlineData(0x1000UL, 0x180000UL, 0x3000UL)]         // available ring in the hole
    [InlineData(0x1000UL, 0x2000UL, HighRegion + HighRegionSize - 0x40)]   // used ring runs off the end
    public void A_ring_outside_guest_memory_fails_to_enable(ulong desc, ulong avail, ulong used)
    {
        var queue = new SplitQueue(Memory, 8, q => _reported.Add(q.Fault))
        {
            DescTable = new GuestAddress(desc), AvailRing = new GuestAddress(avail), UsedRing = new GuestAddress(used),
        };
        Assert.False(queue.Enable(VirtioFeatures.Core));
        AssertBroken(queue, QueueFault.RingOutsideMemory);
    }

    [Fact]
    public void Reset_clears_a_fault()
    {
        _driver.SetDescriptor(0, 0x180000, 8);
        _driver.Publish(0);
        var queue = Queue();
        Assert.False(queue.TryPop(out _));

        queue.Reset();

        Assert.False(queue.IsBroken);
        var fresh = new MockSplitQueue(Memory, 8);
        fresh.AddChain((Buffers, 8, false));
        queue.DescTable = fresh.DescTable;
        queue.AvailRing = fresh.AvailRing;
        queue.UsedRing = fresh.UsedRing;
        Assert.True(queue.Enable(VirtioFeatures.Core));
        Assert.True(queue.TryPop(out _));
    }

    /// <summary>Like AssertBroken, for a queue that already used one chain (the used idx is 1).</summary>
    private void AssertBrokenAfterUse(SplitQueue queue, QueueFault fault)
    {
        Assert.False(queue.TryPop(out _));
        Assert.Equal(fault, queue.Fault);
        Assert.Equal([fault], _reported);
        Assert.Equal(1, _driver.UsedIdx);
    }
}
