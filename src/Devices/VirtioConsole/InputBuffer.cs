namespace Glue.Devices.VirtioConsole;

/// <summary>
/// Host input waiting for the guest's receive buffers: a fixed ring written by the stdin thread and read by the
/// device's I/O thread, under one lock. When it is full, further input is dropped (and counted), as a UART
/// overruns: blocking the stdin thread instead would also block Ctrl-A x.
/// </summary>
internal sealed class InputBuffer(int capacity)
{
    private readonly byte[] _ring = new byte[capacity];
    private readonly object _gate = new();
    private int _start;
    private int _count;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Bytes dropped because the ring was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Appends what fits; returns how many bytes were kept.</summary>
    public int Write(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            int take = Math.Min(bytes.Length, _ring.Length - _count);
            int end = (_start + _count) % _ring.Length;
            int first = Math.Min(take, _ring.Length - end);
            bytes[..first].CopyTo(_ring.AsSpan(end));
            bytes[first..take].CopyTo(_ring);
            _count += take;
            Dropped += bytes.Length - take;
            return take;
        }
    }

    /// <summary>A copy of what is held, oldest first, left in place (for a snapshot).</summary>
    public byte[] Peek()
    {
        lock (_gate)
        {
            var bytes = new byte[_count];
            CopyOldest(bytes);
            return bytes;
        }
    }

    /// <summary>Moves up to destination.Length bytes out; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        lock (_gate)
        {
            int take = Math.Min(destination.Length, _count);
            CopyOldest(destination[..take]);
            _start = (_start + take) % _ring.Length;
            _count -= take;
            return take;
        }
    }

    /// <summary>Fills <paramref name="destination"/> (at most the held count) with the oldest bytes, across the ring's end.</summary>
    private void CopyOldest(Span<byte> destination)
    {
        int first = Math.Min(destination.Length, _ring.Length - _start);
        _ring.AsSpan(_start, first).CopyTo(destination);
        _ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }
}
