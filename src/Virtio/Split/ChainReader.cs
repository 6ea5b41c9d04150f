using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;

namespace Glue.Virtio.Split;

/// <summary>
/// Reads a chain's device-readable buffers front to back as one run of bytes. The driver may change these
/// bytes while the device reads them, so a device copies what it validates (<see cref="TryRead{T}"/>) rather
/// than checking a span and reading it again.
/// </summary>
public sealed class ChainReader
{
    private readonly GuestMemory _memory;
    private SegmentCursor _cursor;

    internal ChainReader(GuestMemory memory) => _memory = memory;

    /// <summary>Total bytes of the readable buffers.</summary>
    public ulong Length => _cursor.Length;

    /// <summary>Bytes read or skipped so far.</summary>
    public ulong Position => _cursor.Position;

    public ulong Remaining => _cursor.Remaining;

    internal void Reset(GuestSegment[] segments, int start, int end, ulong length) => _cursor.Reset(segments, start, end, length);

    /// <summary>
    /// Guest bytes at the cursor, up to the end of the current buffer and at most <paramref name="maxLength"/>,
    /// for direct I/O (e.g. write(2) from guest memory); call <see cref="Advance"/> with what was used.
    /// </summary>
    public ReadOnlySpan<byte> GetSpan(int maxLength = int.MaxValue) => _cursor.Current(_memory, maxLength);

    /// <summary>Skips <paramref name="count"/> bytes; more than <see cref="Remaining"/> is a device bug and throws.</summary>
    public void Advance(ulong count) => _cursor.Advance(count);

    /// <summary>Copies up to destination.Length bytes across buffers; returns how many there were.</summary>
    public int Read(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length)
        {
            var source = _cursor.Current(_memory, destination.Length - copied);
            if (source.IsEmpty) break;
            source.CopyTo(destination[copied..]);
            copied += source.Length;
            _cursor.Advance((ulong)source.Length);
        }
        return copied;
    }

    /// <summary>Reads one little-endian struct (e.g. a request header); false, reading nothing, when too few bytes are left.</summary>
    public bool TryRead<T>(out T value) where T : unmanaged
    {
        value = default;
        if (_cursor.Remaining < (ulong)Unsafe.SizeOf<T>()) return false;
        Read(MemoryMarshal.AsBytes(new Span<T>(ref value)));
        return true;
    }
}
