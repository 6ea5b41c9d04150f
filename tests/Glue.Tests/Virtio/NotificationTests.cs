using Glue.Virtio;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Tests.Virtio;

/// <summary>Notification suppression both ways (§2.7.7, §2.7.10), with and without VIRTIO_F_EVENT_IDX.</summary>
public sealed class NotificationTests : VirtioTestBase
{
    private static readonly ulong NoEventIdx = VirtioFeatures.Core & ~VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_EVENT_IDX);

    /// <summary>Pops and returns <paramref name="count"/> one-buffer chains.</summary>
    private static void Complete(MockSplitQueue driver, SplitQueue queue, int count)
    {
        for (int i = 0; i < count; i++)
        {
            driver.AddChain((Buffers, 8, true));
            Assert.True(queue.TryPop(out var chain));
            Assert.True(queue.AddUsed(chain.Head, 0));
        }
    }

    [Fact]
    public void Without_event_idx_the_driver_is_interrupted_unless_it_set_NO_INTERRUPT()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue(NoEventIdx);
        Complete(driver, queue, 1);
        Assert.True(queue.NeedsNotification());

        driver.AvailFlags = VIRTQ_AVAIL_F_NO_INTERRUPT;
        Complete(driver, queue, 1);
        Assert.False(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_the_NO_INTERRUPT_flag_is_ignored()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        driver.AvailFlags = VIRTQ_AVAIL_F_NO_INTERRUPT;
        driver.UsedEvent = 0;
        Complete(driver, queue, 1);
        Assert.True(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_the_first_check_always_interrupts()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        driver.UsedEvent = 100;
        Complete(driver, queue, 1);
        Assert.True(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_the_driver_is_interrupted_once_the_used_idx_passes_used_event()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        Assert.True(queue.NeedsNotification());   // the first check; used idx 0

        driver.UsedEvent = 1;                     // "interrupt me when entry 1 is written", i.e. idx reaches 2
        Complete(driver, queue, 1);               // idx 1
        Assert.False(queue.NeedsNotification());
        Complete(driver, queue, 1);               // idx 2
        Assert.True(queue.NeedsNotification());
        Assert.False(queue.NeedsNotification());  // nothing new since

        driver.UsedEvent = 3;
        Complete(driver, queue, 3);               // a batch 2 -> 5 passes 3
        Assert.True(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_a_used_event_already_passed_does_not_interrupt_again()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        driver.UsedEvent = 0;
        Complete(driver, queue, 1);
        Assert.True(queue.NeedsNotification());
        Complete(driver, queue, 1);                // the driver has not moved used_event
        Assert.False(queue.NeedsNotification());
    }

    [Fact]
    public void With_event_idx_the_decision_holds_across_the_16_bit_wrap()
    {
        var driver = new MockSplitQueue(Memory, 4);
        var queue = driver.CreateQueue();
        driver.UsedEvent = 30_000;
        Complete(driver, queue, 65_534);
        Assert.True(queue.NeedsNotification());   // first check, at idx 65534

        driver.UsedEvent = 65_535;                // entry 65535 is written when idx goes 65535 -> 0
        Complete(driver, queue, 1);               // idx 65535
        Assert.False(queue.NeedsNotification());
        Complete(driver, queue, 1);               // idx 0
        Assert.Equal(0, driver.UsedIdx);
        Assert.True(queue.NeedsNotification());
    }

    [Theory]
    [InlineData(0, 1, 0, true)]            // the first entry, driver waiting for entry 0
    [InlineData(1, 1, 0, false)]           // waiting for entry 1, only entry 0 written
    [InlineData(5, 10, 3, true)]           // a batch passing the event
    [InlineData(10, 10, 3, false)]         // a batch stopping just short of it
    [InlineData(65535, 0, 65535, true)]    // the event is the entry at the wrap
    [InlineData(65535, 2, 65530, true)]    // a batch across the wrap that covers it
    [InlineData(1, 65535, 65530, false)]   // an event beyond the batch, across the wrap
    [InlineData(7, 7, 7, false)]           // nothing new
    public void NeedEvent_follows_vring_need_event(int eventIdx, int newIdx, int oldIdx, bool expected) =>
        Assert.Equal(expected, NeedEvent((ushort)eventIdx, (ushort)newIdx, (ushort)oldIdx));

    [Fact]
    public void Without_event_idx_the_device_suppresses_kicks_with_NO_NOTIFY()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue(NoEventIdx);

        queue.DisableNotification();
        Assert.Equal(VIRTQ_USED_F_NO_NOTIFY, driver.UsedFlags);

        Assert.False(queue.EnableNotification());
        Assert.Equal(0, driver.UsedFlags);
    }

    [Fact]
    public void With_event_idx_enabling_kicks_sets_avail_event_to_the_next_entry()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        Complete(driver, queue, 2);

        queue.DisableNotification();
        Assert.Equal(0, driver.UsedFlags);        // event idx does not use the flag
        Assert.False(queue.EnableNotification());
        Assert.Equal(2, driver.AvailEvent);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Enabling_kicks_reports_chains_that_arrived_while_they_were_off(bool eventIdx)
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue(eventIdx ? VirtioFeatures.Core : NoEventIdx);

        queue.DisableNotification();
        driver.AddChain((Buffers, 8, false));
        Assert.True(queue.EnableNotification());
        Assert.True(queue.TryPop(out _));
        Assert.False(queue.EnableNotification());
    }
}
