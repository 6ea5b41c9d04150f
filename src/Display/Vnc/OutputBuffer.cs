using System.Buffers;

namespace Glue.Display.Vnc;

/// <summary>
/// A growable byte buffer from the shared pool, reused across updates so that encoding a frame allocates nothing
/// once it has reached its size; also a write-only <see cref="Stream"/> so a zlib stream can write into it.
/// </summary>
internal sealed class OutputBuffer : Stream
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Count);

    /// <summary>A span of <paramref name="size"/> bytes at the end, counted as written.</summary>
    public Span<byte> Extend(int size)
    {
        Reserve(size);
        var span = _buffer.AsSpan(Count, size);
        Count += size;
        return span;
    }

    public void Append(byte value) => Extend(1)[0] = value;

    /// <summary>Room for <paramref name="size"/> more bytes, to fill through <see cref="Free"/> and then <see cref="Advance"/>.</summary>
    public void Reserve(int size)
    {
        if (Count + size <= _buffer.Length) return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Count + size));
        Written.CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public Span<byte> Free => _buffer.AsSpan(Count);

    public void Advance(int count) => Count += count;

    /// <summary>Drops everything from <paramref name="count"/> on.</summary>
    public void Truncate(int count) => Count = count;

    public void Clear() => Count = 0;

    /// <summary>The bytes at <paramref name="offset"/>, for patching a length written before its data.</summary>
    public Span<byte> At(int offset, int size) => _buffer.AsSpan(offset, size);

    public override void Write(ReadOnlySpan<byte> buffer) => buffer.CopyTo(Extend(buffer.Length));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Append(value);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Count;

    public override long Position
    {
        get => Count;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            Count = 0;
        }
        base.Dispose(disposing);
    }
}
