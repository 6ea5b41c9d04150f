using Glue.Core.Interop;
using Glue.Devices.Block;

namespace Glue.Tests.Devices.Block;

/// <summary>
/// A disk whose reads wait until the test releases their offset, so a test decides the order requests finish in; a
/// read of an offset released before it is asked for is in the "page cache" (<see cref="ReadCached"/>), and so is the
/// front of a read at an offset the test cached in part (<see cref="CacheFront"/>). Each sector
/// reads as its number (the low byte) in every byte. It counts how many reads wait at once.
/// </summary>
internal sealed unsafe class GatedDiskImage(long length) : IDiskImage
{
    private readonly object _gate = new();
    private readonly HashSet<long> _released = [];
    private readonly Dictionary<long, long> _cachedFronts = [];
    private int _waiting;

    public long Length => length;
    public bool ReadOnly => false;

    /// <summary>The most reads that were waiting at the same time.</summary>
    public int MostWaiting { get; private set; }

    public int Read(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        lock (_gate)
        {
            _waiting++;
            MostWaiting = Math.Max(MostWaiting, _waiting);
            Monitor.PulseAll(_gate);
            while (!_released.Contains(offset)) Monitor.Wait(_gate);
            _waiting--;
        }
        return Fill(buffers, offset);
    }

    /// <summary>The bytes read from the front: all of them if the offset was released, a cached front's, or none.</summary>
    public long ReadCached(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        long total = 0;
        foreach (var buffer in buffers) total += (long)buffer.iov_len;
        long cached;
        lock (_gate)
        {
            cached = _released.Contains(offset) ? total : Math.Min(total, _cachedFronts.GetValueOrDefault(offset));
        }
        Fill(buffers, offset, cached);
        return cached;
    }

    /// <summary>A read at <paramref name="offset"/> finds its first <paramref name="bytes"/> in the page cache.</summary>
    public void CacheFront(long offset, long bytes)
    {
        lock (_gate) _cachedFronts[offset] = bytes;
    }

    /// <summary>The buffers' first <paramref name="limit"/> bytes (all by default) as the disk's bytes at offset.</summary>
    private static int Fill(ReadOnlySpan<Libc.IoVec> buffers, long offset, long limit = long.MaxValue)
    {
        long position = offset;
        foreach (var buffer in buffers)
        {
            var bytes = new Span<byte>(buffer.iov_base, (int)Math.Min((long)buffer.iov_len, limit - (position - offset)));
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)((position + i) / 512);
            position += bytes.Length;
        }
        return 0;
    }

    public void Release(long offset)
    {
        lock (_gate)
        {
            _released.Add(offset);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits (up to 10 s) until <paramref name="count"/> reads are waiting; false if they never were.</summary>
    public bool WaitForWaiting(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        lock (_gate)
        {
            while (_waiting < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_gate, left);
            }
            return true;
        }
    }

    public int Write(ReadOnlySpan<Libc.IoVec> buffers, long offset) => 0;
    public int Discard(long offset, long length) => 0;
    public int WriteZeroes(long offset, long length, bool unmap) => 0;
    public int Flush() => 0;
    public void Dispose() { }
}
