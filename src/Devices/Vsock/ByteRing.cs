namespace Glue.Devices.Vsock;

/// <summary>A fixed-size byte FIFO: guest data the host socket could not take yet. Allocated once per connection.</summary>
public sealed class ByteRing(int capacity)
{
    private readonly byte[] _bytes = new byte[capacity];
    private int _start;

    public int Count { get; private set; }
    public int Capacity => _bytes.Length;
    public int Free => _bytes.Length - Count;

    /// <summary>Appends all of <paramref name="source"/>; the caller made sure it fits.</summary>
    public void Write(ReadOnlySpan<byte> source)
    {
        if (source.Length > Free) throw new InvalidOperationException("the ring is full");
        int end = (_start + Count) % _bytes.Length;
        int first = Math.Min(source.Length, _bytes.Length - end);
        source[..first].CopyTo(_bytes.AsSpan(end));
        source[first..].CopyTo(_bytes);
        Count += source.Length;
    }

    /// <summary>The oldest bytes, up to the end of the array (the rest follows after <see cref="Consume"/>).</summary>
    public ReadOnlySpan<byte> Peek() => _bytes.AsSpan(_start, Math.Min(Count, _bytes.Length - _start));

    public void Consume(int count)
    {
        _start = (_start + count) % _bytes.Length;
        Count -= count;
        if (Count == 0) _start = 0;
    }
}
