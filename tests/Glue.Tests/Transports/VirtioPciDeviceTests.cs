using System.Buffers.Binary;
using Glue.Core.Pci;
using Glue.Tests.Virtio;
using Glue.Transports.Pci;
using Glue.Virtio;
using Xunit;
using static Glue.Core.Pci.PciRegisters;
using static Glue.Transports.Pci.VirtioPciRegisters;
using static Glue.Virtio.VirtioStatus;
using L = Glue.Transports.Pci.VirtioPciBarLayout;

namespace Glue.Tests.Transports;

/// <summary>A virtio-pci function (virtio 1.2 §4.1) against a fake device: configuration space, BAR 0, MSI-X; no KVM needed.</summary>
public sealed class VirtioPciDeviceTests : VirtioTestBase
{
    private readonly RecordingDevice _device = new();
    private readonly List<(int Vector, ulong Address, uint Data)> _routes = [];
    private readonly List<int> _delivered = [];
    private readonly VirtioPciDevice _pci;

    public VirtioPciDeviceTests() =>
        _pci = new VirtioPciDevice(_device, Memory, "pci-test", (v, a, d) => { lock (_routes) _routes.Add((v, a, d)); }, v => { lock (_delivered) _delivered.Add(v); });

    public override void Dispose()
    {
        _pci.Dispose();
        base.Dispose();
    }

    private uint Config(int offset, int width = 4)
    {
        Span<byte> data = stackalloc byte[4];
        _pci.ReadConfig(offset, data[..width]);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private void SetConfig(int offset, uint value, int width = 4)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _pci.WriteConfig(offset, data[..width]);
    }

    private ulong Bar(uint offset, int width)
    {
        Span<byte> data = stackalloc byte[8];
        data.Clear();
        _pci.Read(offset, data[..width]);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    private void SetBar(uint offset, ulong value, int width)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, value);
        _pci.Write(offset, data[..width]);
    }

    private uint Common(int field, int width) => (uint)Bar(L.Common + (uint)field, width);

    private void SetCommon(int field, ulong value, int width) => SetBar(L.Common + (uint)field, value, width);

    private void EnableMsix(int vectors)
    {
        for (int v = 0; v < vectors; v++)
        {
            SetBar(L.MsixTable + (uint)(v * 16) + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0_0000, 4);
            SetBar(L.MsixTable + (uint)(v * 16) + PCI_MSIX_ENTRY_DATA, 0x40u + (uint)v, 4);
            SetBar(L.MsixTable + (uint)(v * 16) + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
        }
        SetConfig(_pci.MsixCapabilityOffset + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    }

    /// <summary>§3.1.1 through the common configuration, queue 0 on <paramref name="driver"/>'s rings, up to DRIVER_OK.</summary>
    private void Initialize(MockSplitQueue driver)
    {
        SetCommon(VIRTIO_PCI_COMMON_STATUS, 0, 1);
        SetCommon(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
        SetCommon(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
        SetCommon(VIRTIO_PCI_COMMON_GF, 1, 4);   // VIRTIO_F_VERSION_1
        SetCommon(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
        Assert.Equal(VIRTIO_CONFIG_S_FEATURES_OK, Common(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
        SetCommon(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
        SetCommon(VIRTIO_PCI_COMMON_Q_SIZE, driver.Size, 2);
        SetCommon(VIRTIO_PCI_COMMON_Q_DESCLO, driver.DescTable.Value, 8);
        SetCommon(VIRTIO_PCI_COMMON_Q_AVAILLO, (uint)driver.AvailRing.Value, 4);
        SetCommon(VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
        SetCommon(VIRTIO_PCI_COMMON_Q_USEDLO, (uint)driver.UsedRing.Value, 4);
        SetCommon(VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
        SetCommon(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
        SetCommon(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, 1);
    }

    [Fact]
    public void The_function_is_a_modern_virtio_device_with_its_type_in_the_device_id_and_no_intx_pin()
    {
        Assert.Equal(0x1041u << 16 | 0x1af4, Config(PCI_VENDOR_ID));
        Assert.Equal(0x02000001u, Config(PCI_REVISION_ID));   // class 02 00 00 (Ethernet), revision 1
        Assert.Equal(0x1100u << 16 | 0x1af4, Config(PCI_SUBSYSTEM_VENDOR_ID));
        Assert.Equal(0u, Config(PCI_INTERRUPT_PIN, 1));
        Assert.Equal((uint)PCI_HEADER_TYPE_NORMAL, Config(PCI_HEADER_TYPE, 1));
        Assert.Equal(PCI_BASE_ADDRESS_MEM_TYPE_64, Config(PCI_BASE_ADDRESS_0));
    }

    [Fact]
    public void The_capability_walk_finds_the_five_virtio_structures_in_bar_0_then_msix()
    {
        var found = new List<(int At, byte Id, byte Type, byte Bar, uint Offset, uint Length)>();
        for (int at = (int)Config(PCI_CAPABILITY_LIST, 1); at != 0; at = (int)Config(at + 1, 1))
            found.Add((at, (byte)Config(at, 1), (byte)Config(at + 3, 1), (byte)Config(at + 4, 1), Config(at + 8), Config(at + 12)));

        Assert.Equal(
            [
                (0x40, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG, 0, L.Common, L.CommonLength),
                (0x50, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, L.Notify, L.NotifyLength),
                (0x64, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_ISR_CFG, 0, L.Isr, L.IsrLength),
                (0x74, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_DEVICE_CFG, 0, L.Device, L.DeviceLength),
                (0x84, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0),
                (0x98, PCI_CAP_ID_MSIX, 0, 0, 0, 0),   // the MSI-X fields are checked below
            ],
            found.Select(c => c.Id == PCI_CAP_ID_MSIX ? (c.At, c.Id, (byte)0, (byte)0, 0u, 0u) : c));
        Assert.Equal(16u, Config(0x40 + 2, 1));                              // cap_len
        Assert.Equal(20u, Config(0x50 + 2, 1));
        Assert.Equal(L.NotifyOffMultiplier, Config(0x50 + VIRTIO_PCI_NOTIFY_CAP_MULT));
        Assert.Equal(20u, Config(0x84 + 2, 1));
        // MSI-X: a vector per queue and one for config changes; table and PBA in BAR 0.
        Assert.Equal(2u, Config(0x98 + PCI_MSIX_FLAGS, 2));
        Assert.Equal(L.MsixTable | 0u, Config(0x98 + PCI_MSIX_TABLE));
        Assert.Equal(L.MsixPba | 0u, Config(0x98 + PCI_MSIX_PBA));
        Assert.Equal(0x98, _pci.MsixCapabilityOffset);
        Assert.Equal(0x84, _pci.PciCfgCapabilityOffset);
    }

    [Fact]
    public void Common_config_shows_the_queues_and_their_notify_offsets()
    {
        Assert.Equal(2u, Common(VIRTIO_PCI_COMMON_NUMQ, 2));
        SetCommon(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
        Assert.Equal(16u, Common(VIRTIO_PCI_COMMON_Q_SIZE, 2));
        Assert.Equal(1u, Common(VIRTIO_PCI_COMMON_Q_NOFF, 2));
        SetCommon(VIRTIO_PCI_COMMON_Q_SELECT, 7, 2);
        Assert.Equal(0u, Common(VIRTIO_PCI_COMMON_Q_SIZE, 2));   // §4.1.4.3: no such queue
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_Q_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
        Assert.Equal(1u, Common(VIRTIO_PCI_COMMON_DF, 4));      // VIRTIO_F_VERSION_1
    }

    [Fact]
    public void Msix_vectors_read_back_and_a_vector_beyond_the_table_reads_as_no_vector()
    {
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_MSIX, 0, 2);
        Assert.Equal(0u, Common(VIRTIO_PCI_COMMON_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_Q_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
        Assert.Equal(2u, Common(VIRTIO_PCI_COMMON_Q_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_Q_MSIX, 3, 2);               // the table has 3 vectors: 0-2
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_Q_MSIX, 2));
        SetCommon(VIRTIO_PCI_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_MSIX, 2));
    }

    [Fact]
    public void Queue_reset_and_queue_notify_data_read_zero_and_ignore_writes_without_their_features()
    {
        Assert.Equal(0ul, (ulong)_pci.State.OfferedFeatures >> 40 & 1);   // no VIRTIO_F_RING_RESET
        SetCommon(VIRTIO_PCI_COMMON_Q_RESET, 1, 2);
        SetCommon(VIRTIO_PCI_COMMON_Q_NDATA, 7, 2);
        Assert.Equal(0u, Common(VIRTIO_PCI_COMMON_Q_RESET, 2));
        Assert.Equal(0u, Common(VIRTIO_PCI_COMMON_Q_NDATA, 2));
    }

    [Theory]
    [InlineData(VIRTIO_PCI_COMMON_NUMQ, 4)]
    [InlineData(VIRTIO_PCI_COMMON_STATUS, 2)]
    [InlineData(VIRTIO_PCI_COMMON_DF, 2)]
    [InlineData(VIRTIO_PCI_COMMON_Q_SIZE, 1)]
    [InlineData(VirtioPciCommonCfgSize, 4)]
    public void Common_fields_read_zero_at_the_wrong_width(int field, int width)
    {
        Assert.Equal(0ul, Bar(L.Common + (uint)field, width));
    }

    [Fact]
    public void Driver_ok_activates_the_device_and_a_trapped_notify_write_kicks_its_queue()
    {
        var driver = new MockSplitQueue(Memory, 8);
        Initialize(driver);
        Assert.Equal(1u, Common(VIRTIO_PCI_COMMON_Q_ENABLE, 2));
        Assert.Equal(driver.DescTable.Value, Bar(L.Common + VIRTIO_PCI_COMMON_Q_DESCLO, 8));
        Assert.True(_device.Activated.Wait(TimeSpan.FromSeconds(5)));
        SetBar(L.Notify, 0, 2);
        Assert.True(_device.Notified.Wait(TimeSpan.FromSeconds(5)));
        SetBar(L.Notify + 4 * 9, 9, 2);   // no such queue: dropped
        Assert.False(_device.Notified.Wait(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void With_msix_a_queue_interrupts_on_its_vector_and_a_config_change_on_the_config_vector_and_isr()
    {
        EnableMsix(3);
        SetCommon(VIRTIO_PCI_COMMON_MSIX, 0, 2);
        SetCommon(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
        SetCommon(VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
        _pci.SignalUsedBuffers(1);
        _pci.SignalUsedBuffers(0);   // queue 0 has no vector: nothing
        Assert.Equal([2], _delivered);
        Assert.Equal(0ul, Bar(L.Isr, 1));   // §4.1.4.5.1: no queue bit with MSI-X
        _pci.SignalConfigChange();
        Assert.Equal([2, 0], _delivered);
        Assert.Equal(VIRTIO_PCI_ISR_CONFIG, (byte)Bar(L.Isr, 1));
        Assert.Equal(0ul, Bar(L.Isr, 1));   // reading ISR cleared it
        Assert.Contains((2, 0xfee0_0000ul, 0x42u), _routes);
    }

    [Fact]
    public void Without_msix_a_used_buffer_sets_the_isr_queue_bit_and_delivers_nothing()
    {
        _pci.SignalUsedBuffers(0);
        Assert.Empty(_delivered);
        Assert.Equal(VIRTIO_PCI_ISR_QUEUE, (byte)Bar(L.Isr, 1));
    }

    [Fact]
    public void A_device_reset_unmaps_the_vectors_and_clears_isr_and_pending_bits_but_keeps_msix_enabled()
    {
        EnableMsix(3);
        SetCommon(VIRTIO_PCI_COMMON_MSIX, 0, 2);
        SetBar(L.MsixTable + PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT, 4);
        _pci.SignalConfigChange();
        Assert.Equal(1ul, Bar(L.MsixPba, 8));
        SetCommon(VIRTIO_PCI_COMMON_STATUS, 0, 1);
        Assert.Equal(VIRTIO_MSI_NO_VECTOR, Common(VIRTIO_PCI_COMMON_MSIX, 2));
        Assert.Equal(0ul, Bar(L.Isr, 1));
        Assert.Equal(0ul, Bar(L.MsixPba, 8));
        SetBar(L.MsixTable + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
        Assert.Empty(_delivered);
        Assert.True(_pci.Msix.Enabled);
        Assert.Equal(1, _device.Resets);
    }

    [Fact]
    public void The_pci_configuration_access_capability_reads_and_writes_bar_0()
    {
        int cap = _pci.PciCfgCapabilityOffset;
        SetCommon(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
        SetConfig(cap + VIRTIO_PCI_CAP_BAR, 0, 1);
        SetConfig(cap + VIRTIO_PCI_CAP_OFFSET, L.Common + VIRTIO_PCI_COMMON_DF);
        SetConfig(cap + VIRTIO_PCI_CAP_LENGTH, 4);
        Assert.Equal(Common(VIRTIO_PCI_COMMON_DF, 4), Config(cap + VIRTIO_PCI_CFG_DATA));
        Assert.NotEqual(0u, Config(cap + VIRTIO_PCI_CFG_DATA));
        // A write through the window: device_status, 1 byte.
        SetConfig(cap + VIRTIO_PCI_CAP_OFFSET, L.Common + VIRTIO_PCI_COMMON_STATUS);
        SetConfig(cap + VIRTIO_PCI_CAP_LENGTH, 1);
        SetConfig(cap + VIRTIO_PCI_CFG_DATA, VIRTIO_CONFIG_S_ACKNOWLEDGE);
        Assert.Equal(VIRTIO_CONFIG_S_ACKNOWLEDGE, (byte)Common(VIRTIO_PCI_COMMON_STATUS, 1));
        // A window naming another BAR, a bad length or an unaligned offset reads 0 and writes nothing.
        SetConfig(cap + VIRTIO_PCI_CAP_BAR, 2, 1);
        Assert.Equal(0u, Config(cap + VIRTIO_PCI_CFG_DATA));
        SetConfig(cap + VIRTIO_PCI_CAP_BAR, 0, 1);
        SetConfig(cap + VIRTIO_PCI_CAP_LENGTH, 3);
        SetConfig(cap + VIRTIO_PCI_CFG_DATA, 0);
        Assert.Equal(VIRTIO_CONFIG_S_ACKNOWLEDGE, (byte)Common(VIRTIO_PCI_COMMON_STATUS, 1));
    }

    [Fact]
    public void Device_config_takes_any_width_and_reads_zero_past_the_device_config()
    {
        Assert.Equal(0x04030201ul, Bar(L.Device, 4));
        Assert.Equal(0x0605ul, Bar(L.Device + 4, 4));
        SetBar(L.Device + 1, 0xaa, 1);
        Assert.Equal(0xaaul, Bar(L.Device + 1, 1));
    }

    [Fact]
    public void Hostile_writes_to_every_structure_and_config_space_keep_the_device_usable()
    {
        var random = new Random(99);
        EnableMsix(3);
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < 50_000; i++)
        {
            random.NextBytes(data);
            int width = random.Next(1, 9);
            if (random.Next(3) == 0) _pci.WriteConfig(random.Next(0, PciConfigSpace.Size - 8) & ~(width - 1), data[..Math.Min(width, 4)]);
            else _pci.Write((ulong)random.Next(0, (int)L.Size + 64), data[..width]);
            if (i % 7 == 0) _pci.Read((ulong)random.Next(0, (int)L.Size + 64), data[..width]);
            if (i % 97 == 0) _pci.SignalUsedBuffers(random.Next(0, 2));
        }
        // IDs did not change, and a driver that starts over gets a working device.
        Assert.Equal(0x1041u << 16 | 0x1af4, Config(PCI_VENDOR_ID));
        var driver = new MockSplitQueue(Memory, 8);
        Initialize(driver);
        Assert.Equal(1u, Common(VIRTIO_PCI_COMMON_Q_ENABLE, 2));
        Assert.Equal(VIRTIO_CONFIG_S_DRIVER_OK, Common(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
    }

    private sealed class RecordingDevice : IVirtioDevice
    {
        private readonly byte[] _config = [1, 2, 3, 4, 5, 6];

        public SemaphoreSlim Activated { get; } = new(0);
        public SemaphoreSlim Notified { get; } = new(0);
        public int Resets { get; private set; }
        public uint DeviceId => VirtioIds.VIRTIO_ID_NET;
        public string Name => "net";
        public uint PciClass => PciClassCodes.PCI_CLASS_NETWORK_ETHERNET;
        public ulong Features => 0;
        public IReadOnlyList<ushort> QueueMaxSizes { get; } = [8, 16];
        public int ConfigSize => _config.Length;
        public void ReadConfig(int offset, Span<byte> data) => _config.AsSpan(offset, data.Length).CopyTo(data);
        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => data.CopyTo(_config.AsSpan(offset));
        public void Activate(VirtioActivation activation) => Activated.Release();
        public void QueueNotify(int queue) => Notified.Release();
        public void Reset() => Resets++;
    }
}
