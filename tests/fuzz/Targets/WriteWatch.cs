using Glue.Core.Memory;
using Glue.Virtio.Split;

namespace Glue.Fuzz.Targets;

/// <summary>
/// The invariant "a device writes guest memory only where the driver let it": a copy of one guest region taken
/// before the device runs, the ranges it may write (the used ring, the writable buffers of the chains it
/// popped), and a comparison of everything else afterwards.
/// </summary>
internal sealed class WriteWatch(GuestMemory memory, GuestAddress start, int length)
{
    private readonly byte[] _before = new byte[length];
    private readonly bool[] _writable = new bool[length];

    public void Snapshot()
    {
        memory.GetSpan(start, length).CopyTo(_before);
        Array.Clear(_writable);
    }

    public void AllowWrites(GuestAddress address, ulong bytes)
    {
        ulong from = Math.Max(address.Value, start.Value);
        ulong to = Math.Min(address.Value + bytes, start.Value + (ulong)length);
        if (to > from) Array.Fill(_writable, true, (int)(from - start.Value), (int)(to - from));
    }

    /// <summary>A write of the driver's own (descriptors, avail ring, readable data): made to memory and to the copy.</summary>
    public void DriverWrite(GuestAddress address, ReadOnlySpan<byte> bytes)
    {
        memory.Write(address, bytes);
        if (address.Value >= start.Value && address.Value + (ulong)bytes.Length <= start.Value + (ulong)length)
            bytes.CopyTo(_before.AsSpan((int)(address.Value - start.Value)));
    }

    public void DriverWrite<T>(GuestAddress address, T value) where T : unmanaged =>
        DriverWrite(address, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    public void AllowChain(DescriptorChain chain)
    {
        foreach (var segment in chain.Writable) AllowWrites(segment.Address, segment.Length);
    }

    /// <summary>Throws <see cref="FuzzInvariantException"/> at the first byte that changed where no write was allowed.</summary>
    public void Check()
    {
        var after = memory.GetSpan(start, length);
        // Jump from difference to difference: most of memory is unchanged.
        for (int i = after.CommonPrefixLength(_before); i < length; i += 1 + after[(i + 1)..].CommonPrefixLength(_before.AsSpan(i + 1)))
        {
            if (!_writable[i])
                throw new FuzzInvariantException($"guest byte 0x{start.Value + (ulong)i:x} changed outside every writable buffer and the used ring");
        }
    }
}
