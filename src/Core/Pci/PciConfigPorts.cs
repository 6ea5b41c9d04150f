using System.Buffers.Binary;
using Glue.Core.Bus;

namespace Glue.Core.Pci;

/// <summary>
/// Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xcf8 (enable bit 31, bus 23-16,
/// device 15-11, function 10-8, register 7-2), taken only as a 32-bit access, and CONFIG_DATA at 0xcfc-0xcff,
/// any width, which reaches the dword CONFIG_ADDRESS names plus the byte offset within it. One address register
/// per machine, as on a PC: guests serialize their pairs of accesses (Linux's pci_config_lock).
/// </summary>
internal sealed class PciConfigPorts(PciBus bus) : IBusDevice
{
    public const ushort Base = 0xcf8;
    public const ushort Length = 8;

    private const uint EnableBit = 1u << 31;
    private const ulong DataOffset = 4;

    private uint _address;

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset < DataOffset)
        {
            if (offset == 0 && data.Length == 4) BinaryPrimitives.WriteUInt32LittleEndian(data, Volatile.Read(ref _address));
            else data.Fill(0xff);
            return;
        }
        uint address = Volatile.Read(ref _address);
        if ((address & EnableBit) == 0 || offset - DataOffset + (ulong)data.Length > 4)
        {
            data.Fill(0xff);
            return;
        }
        bus.Read(Bus(address), Device(address), Function(address), Register(address, offset), data);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset < DataOffset)
        {
            // Byte writes to 0xcf9 are a chipset's reset control register on a PIIX, which Glue does not have.
            if (offset == 0 && data.Length == 4) Volatile.Write(ref _address, BinaryPrimitives.ReadUInt32LittleEndian(data));
            return;
        }
        uint address = Volatile.Read(ref _address);
        if ((address & EnableBit) == 0 || offset - DataOffset + (ulong)data.Length > 4) return;
        bus.Write(Bus(address), Device(address), Function(address), Register(address, offset), data);
    }

    private static uint Bus(uint address) => (address >> 16) & 0xff;

    private static uint Device(uint address) => (address >> 11) & 0x1f;

    private static uint Function(uint address) => (address >> 8) & 0x7;

    private static int Register(uint address, ulong offset) => (int)(address & 0xfc) + (int)(offset - DataOffset);
}
