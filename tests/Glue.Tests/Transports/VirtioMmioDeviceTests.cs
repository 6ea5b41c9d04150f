using System.Buffers.Binary;
using Glue.Core.Pci;
using Glue.Tests.Virtio;
using Glue.Transports.Mmio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Transports.Mmio.VirtioMmioRegisters;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Tests.Transports;

/// <summary>The virtio-mmio register file (virtio 1.2 §4.2.2) against a fake device; no KVM needed.</summary>
public sealed class VirtioMmioDeviceTests : VirtioTestBase
{
    private readonly RecordingDevice _device = new();
    private readonly EventFd _interrupt = new();
    private readonly VirtioMmioDevice _mmio;

    public VirtioMmioDeviceTests() => _mmio = new VirtioMmioDevice(_device, Memory, _interrupt, "mmio-test");

    public override void Dispose()
    {
        _mmio.Dispose();   // closes _interrupt too
        base.Dispose();
    }

    private uint Read(uint offset)
    {
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private void Write(uint offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _mmio.Write(offset, data);
    }

    /// <summary>§3.1.1 through the registers, queue 0 on <paramref name="driver"/>'s rings, up to DRIVER_OK.</summary>
    private void Initialize(MockSplitQueue driver)
    {
        Write(VIRTIO_MMIO_STATUS, 0);
        Write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
        Write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        Write(VIRTIO_MMIO_DRIVER_FEATURES, 1);   // VIRTIO_F_VERSION_1
        Write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
        Assert.Equal(VIRTIO_CONFIG_S_FEATURES_OK, Read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
        Write(VIRTIO_MMIO_QUEUE_SEL, 0);
        Write(VIRTIO_MMIO_QUEUE_NUM, driver.Size);
        Write(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint)driver.DescTable.Value);
        Write(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
        Write(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint)driver.AvailRing.Value);
        Write(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
        Write(VIRTIO_MMIO_QUEUE_USED_LOW, (uint)driver.UsedRing.Value);
        Write(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
        Write(VIRTIO_MMIO_QUEUE_READY, 1);
        Write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    }

    [Fact]
    public void Identification_registers_read_as_version_2_with_the_device_id()
    {
        Assert.Equal(0x74726976u, Read(VIRTIO_MMIO_MAGIC_VALUE));
        Assert.Equal(2u, Read(VIRTIO_MMIO_VERSION));
        Assert.Equal(VirtioIds.VIRTIO_ID_BLOCK, Read(VIRTIO_MMIO_DEVICE_ID));
        Assert.Equal(VendorId, Read(VIRTIO_MMIO_VENDOR_ID));
    }

    [Fact]
    public void Device_features_are_selected_32_bits_at_a_time()
    {
        Write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
        Assert.Equal(unchecked((uint)(RecordingDevice.DeviceFeature | VirtioFeatures.Core)), Read(VIRTIO_MMIO_DEVICE_FEATURES));
        Write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        Assert.Equal(1u, Read(VIRTIO_MMIO_DEVICE_FEATURES));
        Write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
        Assert.Equal(0u, Read(VIRTIO_MMIO_DEVICE_FEATURES));
    }

    [Fact]
    public void Queue_registers_follow_the_selected_queue_and_64_bit_addresses_are_written_in_halves()
    {
        Write(VIRTIO_MMIO_QUEUE_SEL, 1);
        Assert.Equal(16u, Read(VIRTIO_MMIO_QUEUE_NUM_MAX));
        Write(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x9000);
        Write(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x1);
        Assert.Equal(0x1_0000_9000UL, _mmio.State.QueueDesc);
        Write(VIRTIO_MMIO_QUEUE_SEL, 0);
        Assert.Equal(8u, Read(VIRTIO_MMIO_QUEUE_NUM_MAX));
        Assert.Equal(0UL, _mmio.State.QueueDesc);
        Write(VIRTIO_MMIO_QUEUE_SEL, 7);   // no such queue
        Assert.Equal(0u, Read(VIRTIO_MMIO_QUEUE_NUM_MAX));
        Assert.Equal(0u, Read(VIRTIO_MMIO_QUEUE_READY));
    }

    [Fact]
    public void Driver_ok_activates_the_device_and_a_trapped_queue_notify_kicks_it()
    {
        var driver = new MockSplitQueue(Memory, 8);
        Initialize(driver);
        Assert.Equal(1u, Read(VIRTIO_MMIO_QUEUE_READY));
        Assert.True(_device.Activated.Wait(TimeSpan.FromSeconds(5)));

        Write(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        Assert.True(_device.Notified.Wait(TimeSpan.FromSeconds(5)));
        Write(VIRTIO_MMIO_QUEUE_NOTIFY, 99);   // no such queue: dropped
        Assert.False(_device.Notified.Wait(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void Interrupt_status_is_set_before_the_irqfd_write_and_cleared_by_ack_and_reset()
    {
        _mmio.SignalUsedBuffers(0);
        Assert.Equal(VIRTIO_MMIO_INT_VRING, Read(VIRTIO_MMIO_INTERRUPT_STATUS));
        _mmio.SignalConfigChange();
        Assert.Equal(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG, Read(VIRTIO_MMIO_INTERRUPT_STATUS));

        Write(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
        Assert.Equal(VIRTIO_MMIO_INT_CONFIG, Read(VIRTIO_MMIO_INTERRUPT_STATUS));
        Write(VIRTIO_MMIO_INTERRUPT_STATUS, 0);   // read-only: ignored
        Assert.Equal(VIRTIO_MMIO_INT_CONFIG, Read(VIRTIO_MMIO_INTERRUPT_STATUS));

        Write(VIRTIO_MMIO_STATUS, 0);
        Assert.Equal(0u, Read(VIRTIO_MMIO_INTERRUPT_STATUS));
    }

    [Fact]
    public void Each_interrupt_writes_the_eventfd_once()
    {
        var interrupt = new EventFd();
        using var mmio = new VirtioMmioDevice(new RecordingDevice(), Memory, interrupt, "mmio-irq-test");
        mmio.SignalUsedBuffers(0);
        mmio.SignalUsedBuffers(0);
        Assert.Equal(2UL, interrupt.Drain());
    }

    [Fact]
    public void Config_space_at_0x100_takes_any_width_and_reads_zero_beyond_the_device_config()
    {
        Span<byte> one = stackalloc byte[1];
        _mmio.Read(VIRTIO_MMIO_CONFIG + 2, one);
        Assert.Equal(3, one[0]);
        Assert.Equal(0x04030201u, Read(VIRTIO_MMIO_CONFIG));
        Assert.Equal(0x0605u, Read(VIRTIO_MMIO_CONFIG + 4));   // bytes 4 and 5, then two beyond the config
        Span<byte> eight = stackalloc byte[8];
        _mmio.Read(VIRTIO_MMIO_CONFIG, eight);
        Assert.Equal([1, 2, 3, 4, 5, 6, 0, 0], eight.ToArray());

        _mmio.Write(VIRTIO_MMIO_CONFIG + 1, [0xaa, 0xbb]);
        Assert.Equal(0x04bbaa01u, Read(VIRTIO_MMIO_CONFIG));
        Assert.Equal(0u, Read(0xffc));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public void A_register_access_of_the_wrong_width_reads_zero_and_writes_nothing(int width)
    {
        var data = new byte[width];
        _mmio.Read(VIRTIO_MMIO_MAGIC_VALUE, data);
        Assert.All(data, b => Assert.Equal(0, b));

        data.AsSpan().Fill(0xff);
        _mmio.Write(VIRTIO_MMIO_QUEUE_SEL, data);
        Assert.Equal(0u, _mmio.State.QueueSelect);
    }

    [Fact]
    public void Unaligned_accesses_gaps_and_write_only_registers_read_zero()
    {
        Assert.Equal(0u, Read(VIRTIO_MMIO_MAGIC_VALUE + 2));
        Assert.Equal(0u, Read(0x028));   // legacy GuestPageSize: absent in version 2
        Assert.Equal(0u, Read(VIRTIO_MMIO_QUEUE_NOTIFY));
        Write(VIRTIO_MMIO_QUEUE_SEL, 1);
        Assert.Equal(0u, Read(VIRTIO_MMIO_QUEUE_SEL));
        Write(VIRTIO_MMIO_MAGIC_VALUE, 0);
        Assert.Equal(0x74726976u, Read(VIRTIO_MMIO_MAGIC_VALUE));
        Write(VIRTIO_MMIO_QUEUE_SEL + 1, 0);   // unaligned write: dropped
        Assert.Equal(1u, _mmio.State.QueueSelect);
    }

    [Fact]
    public void After_dispose_the_window_reads_zero_and_ignores_writes()
    {
        var mmio = new VirtioMmioDevice(new RecordingDevice(), Memory, new EventFd(), "mmio-dispose-test");
        mmio.Dispose();
        Span<byte> data = stackalloc byte[4];
        mmio.Read(VIRTIO_MMIO_MAGIC_VALUE, data);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(data));
        mmio.Write(VIRTIO_MMIO_STATUS, [0, 0, 0, 0]);
        mmio.Dispose();
    }

    /// <summary>A device that signals when it is activated and kicked.</summary>
    private sealed class RecordingDevice : IVirtioDevice
    {
        public const ulong DeviceFeature = 1UL << 3;
        private readonly byte[] _config = [1, 2, 3, 4, 5, 6];

        public SemaphoreSlim Activated { get; } = new(0);
        public SemaphoreSlim Notified { get; } = new(0);
        public uint DeviceId => VirtioIds.VIRTIO_ID_BLOCK;
        public string Name => "blk";
        public uint PciClass => PciClassCodes.PCI_CLASS_STORAGE_OTHER;
        public ulong Features => DeviceFeature;
        public IReadOnlyList<ushort> QueueMaxSizes { get; } = [8, 16];
        public int ConfigSize => _config.Length;
        public void ReadConfig(int offset, Span<byte> data) => _config.AsSpan(offset, data.Length).CopyTo(data);
        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => data.CopyTo(_config.AsSpan(offset));
        public void Activate(VirtioActivation activation) => Activated.Release();
        public void QueueNotify(int queue) => Notified.Release();
        public void Reset() { }
    }
}
