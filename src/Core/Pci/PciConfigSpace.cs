using System.Buffers.Binary;
using static Glue.Core.Pci.PciRegisters;

namespace Glue.Core.Pci;

/// <summary>
/// A function's 4 KiB configuration space (type 0 header, PCI 3.0, 6.1): the bytes the guest reads and, per
/// bit, which of them it may write. Everything is a byte mask, BARs included: a BAR's address bits below its size
/// are read-only zero and its type bits read-only, so writing all ones and reading back gives the size (6.2.5.1)
/// without a special case. The rest is read-only: IDs, class, the capability list, absent BARs and the ROM BAR
/// (which reads 0: no ROM). Not thread-safe: the bus serializes configuration accesses.
/// </summary>
public sealed class PciConfigSpace
{
    public const int Size = 0x1000;

    private readonly byte[] _bytes = new byte[Size];
    private readonly byte[] _writable = new byte[Size];
    private readonly PciBar?[] _bars = new PciBar?[6];
    private int _lastCapability;
    private int _nextCapability = CapabilitiesStart;

    public PciConfigSpace(ushort vendorId, ushort deviceId, uint classCode, byte revision, ushort subsystemVendorId = 0, ushort subsystemId = 0)
    {
        Set16(PCI_VENDOR_ID, vendorId);
        Set16(PCI_DEVICE_ID, deviceId);
        _bytes[PCI_REVISION_ID] = revision;
        _bytes[PCI_CLASS_PROG] = (byte)classCode;
        Set16(PCI_CLASS_PROG + 1, (ushort)(classCode >> 8));
        _bytes[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
        Set16(PCI_SUBSYSTEM_VENDOR_ID, subsystemVendorId);
        Set16(PCI_SUBSYSTEM_ID, subsystemId);
        // Memory decode and bus mastering (I/O decode too, though no BAR is an I/O BAR), INTx disable; the cache
        // line size and latency timer are plain storage, as is the interrupt line (no INTx pin: it routes nothing).
        SetWritable16(PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
        _writable[PCI_CACHE_LINE_SIZE] = 0xff;
        _writable[PCI_LATENCY_TIMER] = 0xff;
        _writable[PCI_INTERRUPT_LINE] = 0xff;
    }

    public ushort VendorId => Get16(PCI_VENDOR_ID);

    public ushort Command => Get16(PCI_COMMAND);

    /// <summary>COMMAND's Memory Space bit: while it is clear no memory BAR is on the bus.</summary>
    public bool MemoryDecode => (Command & PCI_COMMAND_MEMORY) != 0;

    public IEnumerable<PciBar> Bars => _bars.OfType<PciBar>();

    /// <summary>Declares a memory BAR (its type bits and which address bits are writable); its address starts at 0.</summary>
    public void AddBar(PciBar bar)
    {
        if (_bars[bar.Index] is not null || bar.Is64Bit && _bars[bar.Index + 1] is not null || IsUpperHalf(bar.Index))
            throw new InvalidOperationException($"BAR {bar.Index} is taken");
        _bars[bar.Index] = bar;
        int register = BarRegister(bar.Index);
        Set32(register, bar.TypeBits);
        SetWritable32(register, (uint)~(bar.Size - 1) & ~0xfu);
        if (bar.Is64Bit) SetWritable32(register + 4, (uint)(~(bar.Size - 1) >> 32));
    }

    /// <summary>Where <paramref name="bar"/> points now (its address bits, type bits cleared).</summary>
    public ulong BarAddress(PciBar bar)
    {
        int register = BarRegister(bar.Index);
        ulong low = Get32(register) & ~0xfu;
        return bar.Is64Bit ? low | (ulong)Get32(register + 4) << 32 : low;
    }

    /// <summary>Writes a BAR's address as firmware would before the guest runs (BARs are pre-assigned).</summary>
    public void SetBarAddress(PciBar bar, ulong address)
    {
        if ((address & (bar.Size - 1)) != 0 || !bar.Is64Bit && address > uint.MaxValue)
            throw new ArgumentException($"BAR {bar.Index} of 0x{bar.Size:x} bytes cannot be at 0x{address:x}");
        int register = BarRegister(bar.Index);
        Set32(register, (uint)address | bar.TypeBits);
        if (bar.Is64Bit) Set32(register + 4, (uint)(address >> 32));
    }

    /// <summary>
    /// Appends a capability (PCI 3.0, 6.7) with its ID and <paramref name="body"/> (the bytes after ID and next
    /// pointer), dword aligned, linked after the last one; <paramref name="writable"/> (same length as the body, or
    /// empty) says which bits of the body the guest may write. Returns the capability's offset.
    /// </summary>
    public int AddCapability(byte id, ReadOnlySpan<byte> body, ReadOnlySpan<byte> writable = default)
    {
        int offset = _nextCapability;
        int length = 2 + body.Length;
        if (offset + length > ConventionalSize) throw new InvalidOperationException($"no room for a capability of {length} bytes at 0x{offset:x}");
        _bytes[offset] = id;
        body.CopyTo(_bytes.AsSpan(offset + 2));
        if (!writable.IsEmpty) writable.CopyTo(_writable.AsSpan(offset + 2, body.Length));
        if (_lastCapability == 0)
        {
            _bytes[PCI_CAPABILITY_LIST] = (byte)offset;
            Set16(PCI_STATUS, (ushort)(Get16(PCI_STATUS) | PCI_STATUS_CAP_LIST));
        }
        else
        {
            _bytes[_lastCapability + 1] = (byte)offset;
        }
        _lastCapability = offset;
        _nextCapability = (offset + length + 3) & ~3;
        return offset;
    }

    /// <summary>The guest's read: <paramref name="offset"/> and the width were checked by the bus.</summary>
    public void Read(int offset, Span<byte> data) => _bytes.AsSpan(offset, data.Length).CopyTo(data);

    /// <summary>The guest's write: only the writable bits change.</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            byte mask = _writable[offset + i];
            _bytes[offset + i] = (byte)(_bytes[offset + i] & ~mask | data[i] & mask);
        }
    }

    /// <summary>The whole space as the guest sees it, for a snapshot.</summary>
    public byte[] Save() => (byte[])_bytes.Clone();

    /// <summary>True when <paramref name="saved"/> is a whole space with this function's vendor and device IDs.</summary>
    public bool IsSameFunction(ReadOnlySpan<byte> saved) => saved.Length == Size && saved[..4].SequenceEqual(_bytes.AsSpan(0, 4));

    /// <summary>
    /// A snapshot's space back (<see cref="IsSameFunction"/> checked first): the bits the guest may write take the
    /// saved values, the rest (IDs, capability list, type bits) stay as this function builds them.
    /// </summary>
    public void Restore(ReadOnlySpan<byte> saved)
    {
        for (int i = 0; i < Size; i++) _bytes[i] = (byte)(_bytes[i] & ~_writable[i] | saved[i] & _writable[i]);
    }

    /// <summary>Direct access for the function itself (its capabilities' fields), not the guest's.</summary>
    public Span<byte> Bytes(int offset, int length) => _bytes.AsSpan(offset, length);

    private bool IsUpperHalf(int index) => index > 0 && _bars[index - 1] is { Is64Bit: true };

    private static int BarRegister(int index) => PCI_BASE_ADDRESS_0 + 4 * index;

    private ushort Get16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(offset));

    private uint Get32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));

    private void Set16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan(offset), value);

    private void Set32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset), value);

    private void SetWritable16(int offset, ushort mask) => BinaryPrimitives.WriteUInt16LittleEndian(_writable.AsSpan(offset), mask);

    private void SetWritable32(int offset, uint mask) => BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(offset), mask);
}
