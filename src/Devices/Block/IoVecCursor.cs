using Glue.Core.Interop;

namespace Glue.Devices.Block;

/// <summary>A position in a list of buffers, for copying them to or from one flat buffer a piece at a time (a bounce buffer).</summary>
internal unsafe ref struct IoVecCursor(ReadOnlySpan<Libc.IoVec> buffers)
{
    private readonly ReadOnlySpan<Libc.IoVec> _buffers = buffers;
    private int _index;
    private nuint _within;

    /// <summary>Copies the next <paramref name="count"/> bytes of the buffers to <paramref name="destination"/>.</summary>
    public void CopyTo(byte* destination, int count) => Copy(destination, count, toBuffers: false);

    /// <summary>Copies <paramref name="count"/> bytes from <paramref name="source"/> into the next bytes of the buffers.</summary>
    public void CopyFrom(byte* source, int count) => Copy(source, count, toBuffers: true);

    private void Copy(byte* flat, int count, bool toBuffers)
    {
        while (count > 0 && _index < _buffers.Length)
        {
            var buffer = _buffers[_index];
            int step = (int)Math.Min((nuint)count, buffer.iov_len - _within);
            byte* there = (byte*)buffer.iov_base + _within;
            if (toBuffers) Buffer.MemoryCopy(flat, there, step, step);
            else Buffer.MemoryCopy(there, flat, step, step);
            flat += step;
            count -= step;
            _within += (nuint)step;
            if (_within == buffer.iov_len)
            {
                _index++;
                _within = 0;
            }
        }
    }
}
