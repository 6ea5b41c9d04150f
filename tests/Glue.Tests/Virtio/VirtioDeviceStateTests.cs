using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.VirtioStatus;
using static Glue.Virtio.VirtioFeatures;

namespace Glue.Tests.Virtio;

public sealed class VirtioDeviceStateTests : VirtioTestBase
{
    private const byte AckDriver = VirtioDriverSide.AckDriver;
    private readonly EventLoop _loop = new("virtio-test");
    private readonly FakeVirtioDevice _device;
    private readonly FakeInterrupts _interrupts = new();
    private readonly VirtioDeviceState _state;
    private readonly VirtioDriverSide _driver;

    public VirtioDeviceStateTests()
    {
        _device = new FakeVirtioDevice(_loop);
        _state = new VirtioDeviceState(_device, Memory, _interrupts, _loop);
        _driver = new VirtioDriverSide(_state);
    }

    public override void Dispose()
    {
        _state.Dispose();
        _loop.Dispose();
        base.Dispose();
    }


    [Fact]
    public void Device_features_are_read_32_bits_at_a_time_with_the_core_features_added()
    {
        _state.DeviceFeatureSelect = 0;
        uint low = _state.DeviceFeatures;
        _state.DeviceFeatureSelect = 1;
        uint high = _state.DeviceFeatures;
        _state.DeviceFeatureSelect = 2;

        Assert.Equal(FakeVirtioDevice.DeviceFeature | Bit(VIRTIO_F_INDIRECT_DESC) | Bit(VIRTIO_F_EVENT_IDX), low);
        Assert.Equal(1u, high);   // VIRTIO_F_VERSION_1 is bit 32
        Assert.Equal(0u, _state.DeviceFeatures);
    }

    [Fact]
    public void Offered_features_the_driver_accepts_keep_FEATURES_OK()
    {
        ulong accepted = Bit(VIRTIO_F_VERSION_1) | FakeVirtioDevice.DeviceFeature;
        Assert.True(_driver.Negotiate(accepted));
        Assert.Equal(accepted, _state.NegotiatedFeatures);
    }

    [Fact]
    public void A_feature_the_device_did_not_offer_makes_it_refuse_FEATURES_OK()
    {
        Assert.False(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_F_RING_PACKED)));
        Assert.Equal(AckDriver, _state.Status);
        Assert.Equal(0UL, _state.NegotiatedFeatures);
    }

    [Fact]
    public void A_driver_without_VIRTIO_F_VERSION_1_is_legacy_and_refused()
    {
        Assert.False(_driver.Negotiate(FakeVirtioDevice.DeviceFeature | Bit(VIRTIO_F_EVENT_IDX)));
    }

    [Fact]
    public void Driver_features_are_fixed_once_FEATURES_OK_is_set()
    {
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _state.DriverFeatureSelect = 0;
        _state.DriverFeatures = (uint)FakeVirtioDevice.DeviceFeature;
        Assert.Equal(Bit(VIRTIO_F_VERSION_1), _state.NegotiatedFeatures);
    }

    [Fact]
    public void Driver_features_written_before_DRIVER_is_set_are_ignored()
    {
        _state.DriverFeatureSelect = 1;
        _state.DriverFeatures = 1;
        Assert.Equal(0u, _state.DriverFeatures);
    }

    [Fact]
    public void DRIVER_OK_activates_the_device_on_its_io_thread_with_the_negotiated_features_and_queues()
    {
        ulong accepted = Bit(VIRTIO_F_VERSION_1) | Bit(VIRTIO_F_EVENT_IDX);
        Assert.True(_driver.Negotiate(accepted));
        _driver.SetUpQueue0(new MockSplitQueue(Memory, 8));
        Assert.Null(_device.Activation);

        _driver.DriverOk();

        var activation = Assert.IsType<VirtioActivation>(_device.Activation);
        Assert.True(_device.ActivatedOnIoThread);
        Assert.Equal(accepted, activation.Features);
        Assert.Equal(2, activation.Queues.Count);
        Assert.True(activation.Queues[0].IsReady);
        Assert.False(activation.Queues[1].IsReady);
        Assert.Same(_loop, activation.IoThread);
        Assert.Equal(AckDriver | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, _state.Status);
    }

    [Fact]
    public void DRIVER_OK_without_FEATURES_OK_is_refused()
    {
        _state.WriteStatus(AckDriver);
        _state.WriteStatus(AckDriver | VIRTIO_CONFIG_S_DRIVER_OK);
        Assert.Null(_device.Activation);
        Assert.Equal(AckDriver, _state.Status);
    }

    [Fact]
    public void Queue_registers_address_the_selected_queue()
    {
        _state.QueueSelect = 1;
        Assert.Equal(16, _state.QueueMaxSize);
        _state.QueueSize = 4;
        _state.QueueDesc = 0x1_0000_2000;
        Assert.Equal(4, _state.Queues[1].Size);
        Assert.Equal(0x1_0000_2000UL, _state.Queues[1].DescTable.Value);

        _state.QueueSelect = 2;   // no such queue: reads 0, writes vanish
        Assert.Equal(0, _state.QueueMaxSize);
        _state.QueueSize = 4;
        Assert.Equal(0, _state.QueueSize);
    }

    [Fact]
    public void QueueReady_before_FEATURES_OK_is_ignored()
    {
        _state.WriteStatus(AckDriver);
        _driver.SetUpQueue0(new MockSplitQueue(Memory, 8));
        Assert.False(_state.QueueReady);
    }

    [Fact]
    public void Writing_0_resets_the_device_the_queues_and_the_status()
    {
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.SetUpQueue0(new MockSplitQueue(Memory, 8));
        _driver.DriverOk();

        _state.WriteStatus(0);

        Assert.Equal(1, _device.Resets);
        Assert.Null(_device.Activation);
        Assert.Equal(0, _state.Status);
        Assert.Equal(0UL, _state.NegotiatedFeatures);
        Assert.False(_state.Queues[0].IsReady);
        Assert.Equal(default, _state.Queues[0].DescTable);
        Assert.Equal(8, _state.Queues[0].Size);
    }

    [Fact]
    public void A_malformed_chain_sets_DEVICE_NEEDS_RESET_and_signals_a_config_change()
    {
        var driver = new MockSplitQueue(Memory, 8);
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.SetUpQueue0(driver);
        _driver.DriverOk();
        driver.SetDescriptor(0, 0x180000, 8);   // in the hole
        driver.Publish(0);

        _loop.Invoke(() => Assert.False(_device.Activation!.Queues[0].TryPop(out _)));

        Assert.NotEqual(0, _state.Status & VIRTIO_CONFIG_S_NEEDS_RESET);
        Assert.Equal(1, _interrupts.ConfigChanges);
        Assert.Equal(0u, _state.ConfigGeneration);   // the config space itself did not change
        Assert.Contains(nameof(QueueFault.DescriptorOutsideMemory), _state.DeviceError);

        _state.WriteStatus((byte)(_state.Status & ~VIRTIO_CONFIG_S_NEEDS_RESET));   // the driver cannot clear it
        Assert.NotEqual(0, _state.Status & VIRTIO_CONFIG_S_NEEDS_RESET);
        _state.WriteStatus(0);
        Assert.Equal(0, _state.Status);
    }

    [Fact]
    public void A_bad_queue_configuration_sets_DEVICE_NEEDS_RESET_without_an_interrupt_before_DRIVER_OK()
    {
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _state.QueueSelect = 0;
        _state.QueueSize = 6;
        _state.QueueReady = true;

        Assert.NotEqual(0, _state.Status & VIRTIO_CONFIG_S_NEEDS_RESET);
        Assert.Equal(0, _interrupts.ConfigChanges);
    }

    [Fact]
    public void A_device_error_sets_DEVICE_NEEDS_RESET()
    {
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.DriverOk();
        _device.Activation!.ReportDeviceError("backing file vanished");
        Assert.NotEqual(0, _state.Status & VIRTIO_CONFIG_S_NEEDS_RESET);
        Assert.Equal("backing file vanished", _state.DeviceError);
        Assert.Equal(1, _interrupts.ConfigChanges);
    }

    [Fact]
    public void A_kick_reaches_the_device_on_its_io_thread_only_after_DRIVER_OK()
    {
        _state.NotifyQueue(1);
        _loop.Invoke(() => { });   // the kick has been handled once the loop runs later work
        Assert.Empty(_device.Notified);

        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.DriverOk();
        _state.QueueKick(1).Signal();   // as KVM would through an ioeventfd
        Assert.True(_device.NotifiedSignal.Wait(TimeSpan.FromSeconds(5)));
        _loop.Invoke(() => Assert.Equal([1], _device.Notified));
    }

    [Fact]
    public void Config_space_reads_and_writes_outside_the_device_config_are_clipped()
    {
        var bytes = new byte[4];
        _state.ReadConfig(4, bytes);
        Assert.Equal(new byte[] { 5, 6, 0, 0 }, bytes);

        _state.WriteConfig(5, [9, 9, 9]);
        _state.ReadConfig(-2, bytes);
        Assert.Equal(new byte[] { 0, 0, 1, 2 }, bytes);
        _state.ReadConfig(5, bytes.AsSpan(0, 1));
        Assert.Equal(9, bytes[0]);
    }

    [Fact]
    public void A_config_change_from_the_device_moves_the_generation_and_reaches_the_transport()
    {
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.DriverOk();
        _device.Activation!.Interrupts.SignalConfigChange();
        Assert.Equal(1u, _state.ConfigGeneration);
        Assert.Equal(1, _interrupts.ConfigChanges);
    }

    [Fact]
    public void Used_buffers_are_signalled_only_when_the_driver_wants_them()
    {
        var driver = new MockSplitQueue(Memory, 8);
        Assert.True(_driver.Negotiate(Bit(VIRTIO_F_VERSION_1)));
        _driver.SetUpQueue0(driver);
        _driver.DriverOk();
        driver.AddChain((Buffers, 8, true));
        driver.AvailFlags = Glue.Virtio.Split.Virtq.VIRTQ_AVAIL_F_NO_INTERRUPT;

        _loop.Invoke(() =>
        {
            var activation = _device.Activation!;
            Assert.True(activation.Queues[0].TryPop(out var chain));
            activation.Queues[0].AddUsed(chain.Head, 0);
            activation.SignalUsedIfNeeded(0);
        });
        Assert.Empty(_interrupts.UsedBuffers);

        driver.AvailFlags = 0;
        _loop.Invoke(() => _device.Activation!.SignalUsedIfNeeded(0));
        Assert.Equal([0], _interrupts.UsedBuffers);
    }
}
