using Glue.Core.Memory;

namespace Glue.Virtio.Split;

/// <summary>
/// A position in a list of segments: which segment, and how far into it. <see cref="ChainReader"/> and
/// <see cref="ChainWriter"/> each keep one, so a device can copy a header that straddles two buffers as if the
/// buffers were one run of bytes.
/// </summary>
internal struct SegmentCursor
{
    private GuestSegment[] _segments;
    private int _index;     // the segment the cursor is in
    private int _end;       // one past the last segment of the list
    private uint _offset;   // bytes of segment _index already passed

    public ulong Length { readonly get; private set; }
    public ulong Position { readonly get; private set; }
    public readonly ulong Remaining => Length - Position;

    public void Reset(GuestSegment[] segments, int start, int end, ulong length)
    {
        _segments = segments;
        _index = start;
        _end = end;
        _offset = 0;
        Length = length;
        Position = 0;
        SkipFinishedSegments();
    }

    /// <summary>The guest bytes from the cursor to the end of its segment, at most <paramref name="maxLength"/>; empty at the end.</summary>
    public readonly Span<byte> Current(GuestMemory memory, int maxLength)
    {
        if (_index >= _end || maxLength <= 0) return default;
        var segment = _segments[_index];
        int length = (int)Math.Min(segment.Length - _offset, (uint)maxLength);
        // The segment was checked against guest RAM when the chain was popped, so this cannot fail; an empty
        // span keeps the reader honest if it ever did.
        return memory.TryGetSpan(segment.Address.Offset(_offset), length, out var span) ? span : default;
    }

    public void Advance(ulong count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Remaining);
        Position += count;
        while (count > 0)
        {
            uint step = (uint)Math.Min(_segments[_index].Length - _offset, count);
            _offset += step;
            count -= step;
            SkipFinishedSegments();
        }
    }

    /// <summary>Moves past segments with nothing left in them (zero-length ones included).</summary>
    private void SkipFinishedSegments()
    {
        while (_index < _end && _offset == _segments[_index].Length)
        {
            _index++;
            _offset = 0;
        }
    }
}
