using System.Buffers.Binary;
using Glue.Core.Bus;
using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Core.Memory;
using Glue.Core.Pci;
using Xunit;
using static Glue.Core.Pci.PciRegisters;

namespace Glue.Tests.Core.Pci;

/// <summary>Bus 0 through configuration mechanism #1 and ECAM, BAR assignment, sizing, decoding and moving; no KVM needed.</summary>
public sealed class PciBusTests
{
    private const ulong BarSize = 0x4000;

    private readonly AddressBus _ports = new("ports");
    private readonly AddressBus _mmio = new("mmio");
    private readonly MachineResources _resources = new(512 * MemoryLayout.MiB);
    private readonly PciBus _bus;
    private readonly TestFunction _function = new();
    private readonly uint _slot;

    public PciBusTests()
    {
        _bus = PciBus.Create(_ports, _mmio);
        _slot = _bus.Attach(_function, _resources, "a test function");
    }

    private uint ReadPort(uint device, int register, int width = 4)
    {
        Span<byte> address = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(address, 1u << 31 | device << 11 | (uint)register & 0xfc);
        _ports.Write(0xcf8, address);
        Span<byte> data = stackalloc byte[4];
        _ports.Read(0xcfc + (ulong)(register & 3), data[..width]);
        return BinaryPrimitives.ReadUInt32LittleEndian(data) & (width == 4 ? uint.MaxValue : (1u << 8 * width) - 1);
    }

    private void WritePort(uint device, int register, uint value, int width = 4)
    {
        Span<byte> address = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(address, 1u << 31 | device << 11 | (uint)register & 0xfc);
        _ports.Write(0xcf8, address);
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _ports.Write(0xcfc + (ulong)(register & 3), data[..width]);
    }

    private uint ReadEcam(uint device, int register)
    {
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(MemoryLayout.PciEcam.Value + (device << 15) + (ulong)register, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private void WriteEcam(uint device, int register, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _mmio.Write(MemoryLayout.PciEcam.Value + (device << 15) + (ulong)register, data);
    }

    private uint ReadBarSpace(ulong address)
    {
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(address, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    [Fact]
    public void The_host_bridge_is_at_00_00_0_and_the_function_in_slot_1_through_both_mechanisms()
    {
        Assert.Equal(1u, _slot);
        uint bridge = (uint)PciHostBridge.DeviceId << 16 | PciHostBridge.VendorId;
        Assert.Equal(bridge, ReadPort(0, PCI_VENDOR_ID));
        Assert.Equal(bridge, ReadEcam(0, PCI_VENDOR_ID));
        Assert.Equal(PCI_CLASS_BRIDGE_HOST, ReadEcam(0, PCI_REVISION_ID) >> 8);
        Assert.Equal(0xbeef_1234u, ReadPort(1, PCI_VENDOR_ID));
        Assert.Equal(0xbeef_1234u, ReadEcam(1, PCI_VENDOR_ID));
        // Byte and word reads of CONFIG_DATA reach the bytes the low address bits name.
        Assert.Equal(0xbeefu, ReadPort(1, PCI_DEVICE_ID, width: 2));
        Assert.Equal(0xbeu, ReadPort(1, PCI_DEVICE_ID + 1, width: 1));
    }

    [Fact]
    public void Absent_functions_and_other_buses_read_all_ones()
    {
        Assert.Equal(uint.MaxValue, ReadPort(2, PCI_VENDOR_ID));
        Assert.Equal(uint.MaxValue, ReadEcam(31, PCI_VENDOR_ID));
        Assert.Equal(uint.MaxValue, ReadFunction(1, 1));
    }

    private uint ReadFunction(uint device, uint function)
    {
        Span<byte> data = stackalloc byte[4];
        _mmio.Read(MemoryLayout.PciEcam.Value + (device << 15) + (function << 12), data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    [Fact]
    public void Config_data_without_the_enable_bit_reads_all_ones_and_drops_writes()
    {
        Span<byte> address = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(address, 1u << 11);
        _ports.Write(0xcf8, address);
        Span<byte> data = stackalloc byte[4];
        _ports.Read(0xcfc, data);
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(data));
        _ports.Read(0xcf8, data);
        Assert.Equal(1u << 11, BinaryPrimitives.ReadUInt32LittleEndian(data));
    }

    [Fact]
    public void The_bar_is_pre_assigned_in_the_32_bit_window_aligned_to_its_size()
    {
        ulong address = _function.Config.BarAddress(_function.Bar);
        Assert.Equal(MemoryLayout.PciMemory32.Value, address);
        Assert.Equal((uint)address | PCI_BASE_ADDRESS_MEM_TYPE_64, ReadEcam(1, PCI_BASE_ADDRESS_0));
        Assert.Equal(0u, ReadEcam(1, PCI_BASE_ADDRESS_0 + 4));
    }

    [Fact]
    public void Sizing_a_bar_reads_back_its_size_and_type_and_the_upper_half_all_ones()
    {
        WriteEcam(1, PCI_BASE_ADDRESS_0, uint.MaxValue);
        WriteEcam(1, PCI_BASE_ADDRESS_0 + 4, uint.MaxValue);
        Assert.Equal(~(uint)(BarSize - 1) | PCI_BASE_ADDRESS_MEM_TYPE_64, ReadEcam(1, PCI_BASE_ADDRESS_0));
        Assert.Equal(uint.MaxValue, ReadEcam(1, PCI_BASE_ADDRESS_0 + 4));
        // Absent BARs and the ROM BAR read 0 whatever is written.
        WriteEcam(1, PCI_BASE_ADDRESS_0 + 8, uint.MaxValue);
        WriteEcam(1, PCI_ROM_ADDRESS, uint.MaxValue);
        Assert.Equal(0u, ReadEcam(1, PCI_BASE_ADDRESS_0 + 8));
        Assert.Equal(0u, ReadEcam(1, PCI_ROM_ADDRESS));
    }

    [Fact]
    public void A_bar_is_on_the_bus_only_while_memory_decode_is_on()
    {
        ulong bar = MemoryLayout.PciMemory32.Value;
        Assert.Equal(uint.MaxValue, ReadBarSpace(bar));
        WriteEcam(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
        Assert.Equal(TestFunction.Marker, ReadBarSpace(bar));
        Assert.Equal([bar], _function.Mapped);
        WriteEcam(1, PCI_COMMAND, 0);
        Assert.Equal(uint.MaxValue, ReadBarSpace(bar));
        Assert.Equal([bar], _function.Unmapped);
    }

    [Fact]
    public void A_bar_the_guest_moves_answers_at_its_new_address_only_and_its_callbacks_follow()
    {
        ulong old = MemoryLayout.PciMemory32.Value, moved = old + 0x10_0000;
        WriteEcam(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
        WriteEcam(1, PCI_BASE_ADDRESS_0, (uint)moved);
        Assert.Equal(uint.MaxValue, ReadBarSpace(old));
        Assert.Equal(TestFunction.Marker, ReadBarSpace(moved));
        Assert.Equal([old, moved], _function.Mapped);
        Assert.Equal([old], _function.Unmapped);
    }

    [Fact]
    public void Sizing_with_decode_on_parks_the_bar_off_the_bus_instead_of_over_another_device()
    {
        var lapic = new TestFunction();
        _mmio.Register(0xffff_c000, 0x4000, lapic);   // where the sizing value points, as the LAPIC page is to a smaller BAR
        WriteEcam(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
        WriteEcam(1, PCI_BASE_ADDRESS_0, uint.MaxValue);
        Assert.Equal(TestFunction.Marker, ReadBarSpace(0xffff_c000));
        Assert.Single(_function.Mapped);   // pre-assigned place only
        WriteEcam(1, PCI_BASE_ADDRESS_0, (uint)MemoryLayout.PciMemory32.Value);
        Assert.Equal(TestFunction.Marker, ReadBarSpace(MemoryLayout.PciMemory32.Value));
    }

    [Fact]
    public void Ids_class_and_capability_pointer_are_read_only()
    {
        uint ids = ReadEcam(1, PCI_VENDOR_ID), cls = ReadEcam(1, PCI_REVISION_ID);
        WriteEcam(1, PCI_VENDOR_ID, 0);
        WriteEcam(1, PCI_REVISION_ID, 0);
        WriteEcam(1, PCI_CAPABILITY_LIST, 0);
        Assert.Equal(ids, ReadEcam(1, PCI_VENDOR_ID));
        Assert.Equal(cls, ReadEcam(1, PCI_REVISION_ID));
        Assert.Equal((uint)CapabilitiesStart, ReadEcam(1, PCI_CAPABILITY_LIST) & 0xff);
        // COMMAND keeps only the bits it has.
        WriteEcam(1, PCI_COMMAND, 0xffff);
        Assert.Equal((uint)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE), ReadEcam(1, PCI_COMMAND) & 0xffff);
        Assert.Equal((uint)PCI_STATUS_CAP_LIST, ReadEcam(1, PCI_COMMAND) >> 16);
    }

    [Fact]
    public void Capabilities_are_chained_dword_aligned_from_0x40()
    {
        Assert.Equal(0x40u, ReadEcam(1, PCI_CAPABILITY_LIST) & 0xff);
        uint first = ReadEcam(1, 0x40);
        Assert.Equal(PCI_CAP_ID_VNDR, (byte)first);
        Assert.Equal(0x48u, first >> 8 & 0xff);   // 2 + 5 bytes rounded up to 8
        Assert.Equal(0u, ReadEcam(1, 0x48) >> 8 & 0xff);
    }

    [Fact]
    public void Hostile_configuration_accesses_of_any_width_offset_and_function_keep_the_bus_consistent()
    {
        var random = new Random(1234);
        WriteEcam(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < 20_000; i++)
        {
            int width = random.Next(1, 9);
            ulong offset = (ulong)random.Next(0, (int)MemoryLayout.PciEcamSize + 16);
            random.NextBytes(data);
            if (random.Next(2) == 0) _mmio.Write(MemoryLayout.PciEcam.Value + offset, data[..width]);
            else _mmio.Read(MemoryLayout.PciEcam.Value + offset, data[..width]);
            if (random.Next(4) == 0) _ports.Write(0xcf8 + (ulong)random.Next(0, 8), data[..Math.Min(width, 4)]);
        }
        // Whatever the BAR and COMMAND ended at, the region is on the bus at most once, and where the registers say.
        int onBus = _function.Mapped.Count - _function.Unmapped.Count;
        Assert.InRange(onBus, 0, 1);
        if (onBus == 1) Assert.Equal(_function.Config.BarAddress(_function.Bar), _function.Mapped[^1]);
        Assert.Equal(0xbeef_1234u, ReadEcam(1, PCI_VENDOR_ID));
        Assert.Equal(PciHostBridge.VendorId, (ushort)ReadEcam(0, PCI_VENDOR_ID));
    }

    [Fact]
    public void More_functions_than_slots_is_a_clear_error()
    {
        for (int i = 2; i < PciBus.SlotCount; i++) _bus.Attach(new TestFunction(), _resources, $"function {i}");
        var e = Assert.Throws<DeviceConfigException>(() => _bus.Attach(new TestFunction(), _resources, "a virtio-pci blk device"));
        Assert.Equal("no PCI slots on bus 0 left for a virtio-pci blk device: all 31 are taken (fewer devices, please)", e.Message);
    }

    /// <summary>A function with one 64-bit BAR whose first dword reads <see cref="Marker"/>, and one vendor capability.</summary>
    private sealed class TestFunction : IPciFunction, IBusDevice
    {
        public const uint Marker = 0x600d_f00d;

        public TestFunction()
        {
            Bar = new PciBar(0, BarSize, this, is64Bit: true) { Mapped = Mapped.Add, Unmapped = Unmapped.Add };
            Config.AddBar(Bar);
            Config.AddCapability(PCI_CAP_ID_VNDR, [5, 0, 0, 0, 0]);
            Config.AddCapability(PCI_CAP_ID_VNDR, [4, 0]);
        }

        public PciConfigSpace Config { get; } = new(0x1234, 0xbeef, 0xff0000, revision: 1);

        public PciBar Bar { get; }

        public List<ulong> Mapped { get; } = [];

        public List<ulong> Unmapped { get; } = [];

        public void ReadConfig(int offset, Span<byte> data) => Config.Read(offset, data);

        public void WriteConfig(int offset, ReadOnlySpan<byte> data) => Config.Write(offset, data);

        public void Read(ulong offset, Span<byte> data)
        {
            data.Clear();
            if (offset == 0 && data.Length == 4) BinaryPrimitives.WriteUInt32LittleEndian(data, Marker);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) { }
    }
}
