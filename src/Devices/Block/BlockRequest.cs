using Glue.Core.Interop;
using Glue.Core.Memory;
using Glue.Virtio.Split;

namespace Glue.Devices.Block;

/// <summary>
/// One request in flight: what was read from its chain when it was popped (the header, copied once; the data
/// buffers as host addresses; where its status byte is), so that a worker can serve it after the chain object has
/// been refilled by the next pop. Requests are made once per queue and reused.
/// </summary>
internal sealed unsafe class BlockRequest(BlockQueue queue, int maxBuffers)
{
    /// <summary>The queue it came from and goes back to.</summary>
    public BlockQueue Queue { get; } = queue;

    public ushort Head;
    public uint Type;

    /// <summary>IN/OUT: the data's byte offset on the disk; DISCARD/WRITE_ZEROES: the range's.</summary>
    public long Offset;

    /// <summary>DISCARD/WRITE_ZEROES: the range's bytes.</summary>
    public long Length;

    /// <summary>WRITE_ZEROES: VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP was set.</summary>
    public bool Unmap;

    /// <summary>IN/OUT: the data buffers in guest memory, in order.</summary>
    public readonly Libc.IoVec[] Buffers = new Libc.IoVec[maxBuffers];
    public int BufferCount;

    /// <summary>IN: bytes of data the guest's buffers hold (the used length, with the status byte, on success).</summary>
    public ulong DataBytes;

    /// <summary>The last writable byte of the chain, where the status goes.</summary>
    public byte* StatusByte;

    public ReadOnlySpan<Libc.IoVec> Data => Buffers.AsSpan(0, BufferCount);

    /// <summary>
    /// Fills <see cref="Buffers"/> with <paramref name="segments"/> less <paramref name="skip"/> bytes at the front
    /// and <paramref name="trim"/> at the back. The segments were checked against guest RAM when the chain was popped.
    /// </summary>
    public void SetBuffers(GuestMemory memory, ReadOnlySpan<GuestSegment> segments, ulong skip, ulong trim)
    {
        ulong total = 0;
        foreach (var segment in segments) total += segment.Length;
        ulong end = total - Math.Min(trim, total);
        ulong position = 0;
        BufferCount = 0;
        foreach (var segment in segments)
        {
            ulong start = Math.Max(position, skip), stop = Math.Min(position + segment.Length, end);
            if (stop > start)
            {
                var address = segment.Address.Offset(start - position);
                Buffers[BufferCount++] = new Libc.IoVec { iov_base = HostAddress(memory, address), iov_len = (nuint)(stop - start) };
            }
            position += segment.Length;
        }
    }

    /// <summary>
    /// The first <paramref name="bytes"/> of the data are read already: the buffers and <see cref="Offset"/> move
    /// past them, to what is left (<see cref="DataBytes"/>, the used length, stays the whole).
    /// </summary>
    public void Advance(ulong bytes)
    {
        Offset += (long)bytes;
        var rest = IoVecs.Advance(Buffers.AsSpan(0, BufferCount), (nint)bytes);
        rest.CopyTo(Buffers);
        BufferCount = rest.Length;
    }

    /// <summary>Where guest address <paramref name="address"/> is mapped in this process.</summary>
    public static byte* HostAddress(GuestMemory memory, GuestAddress address)
    {
        memory.TryGetSpan(address, 1, out var span);
        fixed (byte* pointer = span) return pointer;
    }
}
