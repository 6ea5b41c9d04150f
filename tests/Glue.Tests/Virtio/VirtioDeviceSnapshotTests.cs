using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Virtio.VirtioFeatures;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Tests.Virtio;

/// <summary>
/// A virtio device's driver-facing state in a snapshot (VirtioDeviceState.Save and Restore): a running device saved
/// and given to a new one comes back with its status, features and rings where they stood, is started again once the
/// vCPUs have their state, and holds still while the snapshot is written; a device with a request unfinished, and a
/// saved state that does not fit the device, are refused.
/// </summary>
public sealed class VirtioDeviceSnapshotTests : VirtioTestBase
{
    private readonly EventLoop _loop = new("virtio-snapshot-test");
    private readonly FakeVirtioDevice _device;
    private readonly FakeInterrupts _interrupts = new();
    private readonly VirtioDeviceState _state;
    private readonly VirtioDriverSide _driver;
    private readonly MockSplitQueue _rings;

    public VirtioDeviceSnapshotTests()
    {
        _device = new FakeVirtioDevice(_loop);
        _state = new VirtioDeviceState(_device, Memory, _interrupts, _loop);
        _driver = new VirtioDriverSide(_state);
        _rings = new MockSplitQueue(Memory, 8);
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_F_EVENT_IDX)));
        _driver.SetUpQueue0(_rings);
        _driver.DriverOk();
    }

    public override void Dispose()
    {
        _state.Dispose();
        _loop.Dispose();
        base.Dispose();
    }

    /// <summary>The device takes <paramref name="count"/> chains the driver made available and uses all but <paramref name="unfinished"/>.</summary>
    private void Serve(int count, int unfinished = 0)
    {
        for (int i = 0; i < count; i++) _rings.AddChain((Buffers + 16 * (ulong)i, 16, true));
        _loop.Invoke(() =>
        {
            var queue = _device.Activation!.Queues[0];
            for (int i = 0; i < count; i++)
            {
                Assert.True(queue.TryPop(out var chain));
                if (i < count - unfinished) queue.AddUsed(chain.Head, 16);
            }
        });
    }

    private JsonObject SaveAndRelease()
    {
        var saved = _state.Save();
        _state.AfterSave();
        // Through text, as it goes to state.json and comes back.
        return (JsonObject)JsonNode.Parse(saved.ToJsonString())!;
    }

    [Fact]
    public void A_restored_device_has_the_status_features_and_ring_positions_it_was_saved_with()
    {
        Serve(3);
        var saved = SaveAndRelease();

        using var loop = new EventLoop("virtio-snapshot-restored");
        var device = new FakeVirtioDevice(loop);
        var interrupts = new FakeInterrupts();
        using var restored = new VirtioDeviceState(device, Memory, interrupts, loop);
        restored.Restore(saved);

        Assert.Equal(_state.Status, restored.Status);
        Assert.Equal(_state.NegotiatedFeatures, restored.NegotiatedFeatures);
        var queue = restored.Queues[0];
        Assert.True(queue.IsReady);
        Assert.Equal((ushort)8, queue.Size);
        Assert.Equal((_rings.DescTable, _rings.AvailRing, _rings.UsedRing), (queue.DescTable, queue.AvailRing, queue.UsedRing));
        Assert.Equal((ushort)3, queue.NextAvail);
        Assert.Equal((ushort)3, queue.NextUsed);
        Assert.False(restored.Queues[1].IsReady);
        // Not started until the vCPUs have their state.
        Assert.Null(device.Activation);

        restored.AfterRestore();
        Assert.NotNull(device.Activation);
        Assert.True(device.NotifiedSignal.Wait(TimeSpan.FromSeconds(5)), "the restored queue was never looked at");
        lock (interrupts.UsedBuffers) Assert.Equal([0], interrupts.UsedBuffers);
        // The next chain the driver makes available is the restored device's to take.
        _rings.AddChain((Buffers, 16, true));
        loop.Invoke(() =>
        {
            Assert.True(device.Activation!.Queues[0].TryPop(out var chain));
            Assert.True(device.Activation.Queues[0].AddUsed(chain.Head, 0));
        });
        Assert.Equal((ushort)4, _rings.UsedIdx);
    }

    [Fact]
    public void A_device_holds_still_while_its_snapshot_is_written()
    {
        _state.Save();
        _state.NotifyQueue(0);
        Assert.False(_device.NotifiedSignal.Wait(TimeSpan.FromMilliseconds(300)), "the device served a kick while held");
        _state.AfterSave();
        Assert.True(_device.NotifiedSignal.Wait(TimeSpan.FromSeconds(5)), "the kick was lost after the snapshot");
    }

    [Fact]
    public void A_request_the_device_has_not_finished_refuses_the_snapshot_and_the_device_runs_on()
    {
        Serve(2, unfinished: 1);
        var refusal = Assert.Throws<SnapshotException>(() => _state.Save());
        Assert.Contains("queue 0 holds 1 requests it has not finished", refusal.Message);
        _state.NotifyQueue(0);
        Assert.True(_device.NotifiedSignal.Wait(TimeSpan.FromSeconds(5)), "the device stayed held after a refused snapshot");
    }

    [Theory]
    [InlineData("driverFeatures", "4611686018427387904", "not features this rng device offers")]
    [InlineData("queues", "[]", "'queues' has 0 queues, this rng device 2")]
    [InlineData("status", "\"x\"", "'status' is missing or is not a whole number")]
    public void A_saved_state_that_does_not_fit_the_device_is_refused_naming_the_field(string field, string value, string message)
    {
        var saved = SaveAndRelease();
        saved[field] = JsonNode.Parse(value);
        using var loop = new EventLoop("virtio-snapshot-refused");
        using var other = new VirtioDeviceState(new FakeVirtioDevice(loop), Memory, new FakeInterrupts(), loop);
        Assert.Contains(message, Assert.Throws<SnapshotException>(() => other.Restore(saved)).Message);
        Assert.Equal(0, other.Status);
    }

    [Fact]
    public void A_saved_queue_size_that_is_not_a_power_of_2_within_the_maximum_is_refused()
    {
        var saved = SaveAndRelease();
        saved["queues"]![0]!["size"] = JsonNode.Parse("12");
        using var loop = new EventLoop("virtio-snapshot-size");
        using var other = new VirtioDeviceState(new FakeVirtioDevice(loop), Memory, new FakeInterrupts(), loop);
        Assert.Contains("'queues[0]' has size 12", Assert.Throws<SnapshotException>(() => other.Restore(saved)).Message);
    }
}
