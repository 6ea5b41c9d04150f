using System.Buffers.Binary;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// ResourceTemplate () for a device's _CRS: an AML Buffer of resource descriptors (ACPI 6.5, 6.4) closed by an
/// End Tag. Only the descriptors a <see cref="DeviceResource"/> can be.
/// </summary>
internal static class ResourceTemplate
{
    // Small item 0x08 with 7 bytes of data (6.4.2.5); bit 0 of the information byte: 16-bit decode.
    private const byte IoPortDescriptor = 0x47, Decode16 = 0x01;
    // Large items (6.4.3): type byte, 16-bit data length, data.
    private const byte Memory32FixedDescriptor = 0x86, ReadWrite = 0x01;
    private const byte ExtendedInterruptDescriptor = 0x89;
    // 6.4.3.6 flags: bit 0 consumer, bit 1 edge-triggered; active high (bit 2) and exclusive (bit 3) are zero.
    private const byte ResourceConsumer = 0x01, Edge = 0x02;
    // Address Space Descriptors (6.4.3.5): QWord, DWord and Word, each with its resource type (memory, I/O, bus
    // numbers), general flags (bit 3 _MAF and bit 2 _MIF: the range is fixed; bit 0 clear: a resource producer,
    // what a bridge is for its windows) and type-specific flags (I/O: _RNG entire range; memory: _RW read/write,
    // bit 1 of _MEM cacheable).
    private const byte QWordAddressSpace = 0x8a, DWordAddressSpace = 0x87, WordAddressSpace = 0x88;
    private const byte MemoryRange = 0, IoRange = 1, BusNumberRange = 2;
    private const byte FixedProducer = 0x0c;
    private const byte IoEntireRange = 0x03, MemoryReadWrite = 0x01, MemoryCacheable = 0x02;
    // Small item 0x0f with 1 byte of data (6.4.2.9): the checksum that makes the template's bytes sum to zero.
    private const byte EndTag = 0x79;

    public static byte[] For(IEnumerable<DeviceResource> resources)
    {
        byte[] descriptors = [.. Aml.Concat(resources.Select(Descriptor)), EndTag, 0];
        descriptors[^1] = Checksum.Of(descriptors);
        return Aml.Buffer(descriptors);
    }

    private static byte[] Descriptor(DeviceResource resource) => resource switch
    {
        IoPortResource io => Io(io),
        MmioResource mmio => Memory32Fixed(mmio),
        InterruptResource irq => ExtendedInterrupt(irq),
        BusNumberRangeResource bus => WordAddress(BusNumberRange, 0, bus.First, bus.Last),
        IoRangeResource io => WordAddress(IoRange, IoEntireRange, io.First, io.Last),
        MemoryRangeResource memory => MemoryAddress(memory),
        _ => throw new ArgumentException($"no descriptor for {resource}", nameof(resource)),
    };

    // IO (Decode16, base, base, 1, length): a fixed range, so minimum and maximum base are the same.
    private static byte[] Io(IoPortResource io)
    {
        if (io.Length is 0 or > byte.MaxValue || io.Base + io.Length > 0x10000)
        {
            throw new ArgumentException($"I/O ports 0x{io.Base:x}+{io.Length}: an I/O Port Descriptor holds 1-255 ports below 0x10000");
        }
        var bytes = new byte[8];
        bytes[0] = IoPortDescriptor;
        bytes[1] = Decode16;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), io.Base);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), io.Base);
        bytes[6] = 1;
        bytes[7] = (byte)io.Length;
        return bytes;
    }

    private static byte[] Memory32Fixed(MmioResource mmio)
    {
        if (mmio.Length == 0 || (ulong)mmio.Base + mmio.Length > 1UL << 32)
        {
            throw new ArgumentException($"MMIO 0x{mmio.Base:x}+0x{mmio.Length:x}: a 32-bit fixed memory range is non-empty and below 4 GiB");
        }
        var bytes = new byte[12];
        bytes[0] = Memory32FixedDescriptor;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), 9);
        bytes[3] = ReadWrite;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), mmio.Base);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), mmio.Length);
        return bytes;
    }

    private static byte[] ExtendedInterrupt(InterruptResource irq)
    {
        var bytes = new byte[9];
        bytes[0] = ExtendedInterruptDescriptor;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), 6);
        bytes[3] = ResourceConsumer | Edge;
        bytes[4] = 1; // interrupt table length
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(5), irq.Gsi);
        return bytes;
    }

    // Word: granularity, minimum, maximum, translation offset, length; 16 bits each.
    private static byte[] WordAddress(byte type, byte typeFlags, ushort first, ushort last)
    {
        if (last < first) throw new ArgumentException($"range 0x{first:x}-0x{last:x} ends before it starts");
        var bytes = new byte[16];
        bytes[0] = WordAddressSpace;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), 13);
        bytes[3] = type;
        bytes[4] = FixedProducer;
        bytes[5] = typeFlags;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), first);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), last);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(14), (ushort)(last - first + 1));
        return bytes;
    }

    // DWord below 4 GiB, QWord above: the same fields, 32 or 64 bits each.
    private static byte[] MemoryAddress(MemoryRangeResource memory)
    {
        ulong last = memory.Base + memory.Length - 1;
        if (memory.Length == 0 || last < memory.Base) throw new ArgumentException($"memory window 0x{memory.Base:x}+0x{memory.Length:x} is empty or wraps");
        bool qword = last > uint.MaxValue;
        int field = qword ? 8 : 4;
        var bytes = new byte[6 + 5 * field];
        bytes[0] = qword ? QWordAddressSpace : DWordAddressSpace;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), (ushort)(bytes.Length - 3));
        bytes[3] = MemoryRange;
        bytes[4] = FixedProducer;
        bytes[5] = (byte)(MemoryReadWrite | (memory.Prefetchable ? MemoryCacheable : 0));
        Span<ulong> values = [0, memory.Base, last, 0, memory.Length];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> at = bytes.AsSpan(6 + i * field, field);
            if (qword) BinaryPrimitives.WriteUInt64LittleEndian(at, values[i]);
            else BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)values[i]);
        }
        return bytes;
    }
}
