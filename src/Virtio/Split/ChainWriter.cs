using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;

namespace Glue.Virtio.Split;

/// <summary>
/// Writes a chain's device-writable buffers front to back as one run of bytes. <see cref="Position"/> is the
/// number of bytes written from the first writable buffer on, which is the len the device reports in the used
/// ring (§2.7.8: written bytes, counted from the start of the writable part).
/// </summary>
public sealed class ChainWriter
{
    private readonly GuestMemory _memory;
    private SegmentCursor _cursor;

    internal ChainWriter(GuestMemory memory) => _memory = memory;

    /// <summary>Total bytes of the writable buffers.</summary>
    public ulong Length => _cursor.Length;

    /// <summary>Bytes written or skipped so far.</summary>
    public ulong Position => _cursor.Position;

    public ulong Remaining => _cursor.Remaining;

    internal void Reset(GuestSegment[] segments, int start, int end, ulong length) => _cursor.Reset(segments, start, end, length);

    /// <summary>
    /// Guest bytes at the cursor, up to the end of the current buffer and at most <paramref name="maxLength"/>,
    /// for direct I/O (e.g. read(2) into guest memory); call <see cref="Advance"/> with what was filled.
    /// </summary>
    public Span<byte> GetSpan(int maxLength = int.MaxValue) => _cursor.Current(_memory, maxLength);

    /// <summary>Moves on <paramref name="count"/> bytes; more than <see cref="Remaining"/> is a device bug and throws.</summary>
    public void Advance(ulong count) => _cursor.Advance(count);

    /// <summary>Copies as much of <paramref name="source"/> as fits across buffers; returns how much that was.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int copied = 0;
        while (copied < source.Length)
        {
            var destination = _cursor.Current(_memory, source.Length - copied);
            if (destination.IsEmpty) break;
            source.Slice(copied, destination.Length).CopyTo(destination);
            copied += destination.Length;
            _cursor.Advance((ulong)destination.Length);
        }
        return copied;
    }

    /// <summary>Writes one struct (e.g. a status byte or response header); false, writing nothing, when it does not fit.</summary>
    public bool TryWrite<T>(in T value) where T : unmanaged
    {
        if (_cursor.Remaining < (ulong)Unsafe.SizeOf<T>()) return false;
        Write(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
        return true;
    }
}
