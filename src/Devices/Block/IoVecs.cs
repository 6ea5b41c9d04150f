using Glue.Core.Interop;

namespace Glue.Devices.Block;

/// <summary>A request's buffers (struct iovec) cut into the pieces that map to one place in the image, without allocating.</summary>
internal static unsafe class IoVecs
{
    public static long Length(ReadOnlySpan<Libc.IoVec> buffers)
    {
        long total = 0;
        foreach (var buffer in buffers) total += (long)buffer.iov_len;
        return total;
    }

    /// <summary>Writes into <paramref name="into"/> the buffers that cover bytes [start, start + length) of <paramref name="buffers"/>; returns them.</summary>
    public static Span<Libc.IoVec> Slice(ReadOnlySpan<Libc.IoVec> buffers, long start, long length, Span<Libc.IoVec> into)
    {
        int count = 0;
        foreach (var buffer in buffers)
        {
            if (length == 0) break;
            long size = (long)buffer.iov_len;
            if (start >= size)
            {
                start -= size;
                continue;
            }
            long take = Math.Min(size - start, length);
            into[count++] = new Libc.IoVec { iov_base = (byte*)buffer.iov_base + start, iov_len = (nuint)take };
            start = 0;
            length -= take;
        }
        return into[..count];
    }

    /// <summary>The buffers less their first <paramref name="bytes"/> (the first remaining one is shortened in place).</summary>
    public static Span<Libc.IoVec> Advance(Span<Libc.IoVec> buffers, nint bytes)
    {
        while (buffers.Length > 0 && bytes >= (nint)buffers[0].iov_len)
        {
            bytes -= (nint)buffers[0].iov_len;
            buffers = buffers[1..];
        }
        if (buffers.Length > 0 && bytes > 0)
        {
            buffers[0].iov_base = (byte*)buffers[0].iov_base + bytes;
            buffers[0].iov_len -= (nuint)bytes;
        }
        return buffers;
    }

    public static void Zero(ReadOnlySpan<Libc.IoVec> buffers)
    {
        foreach (var buffer in buffers) new Span<byte>(buffer.iov_base, checked((int)buffer.iov_len)).Clear();
    }

    /// <summary>Copies the buffers' bytes, in order, into <paramref name="destination"/> (at least as long).</summary>
    public static void CopyTo(ReadOnlySpan<Libc.IoVec> buffers, Span<byte> destination)
    {
        foreach (var buffer in buffers)
        {
            var piece = new ReadOnlySpan<byte>(buffer.iov_base, checked((int)buffer.iov_len));
            piece.CopyTo(destination);
            destination = destination[piece.Length..];
        }
    }

    /// <summary>Fills the buffers, in order, from <paramref name="source"/> (at least as long).</summary>
    public static void CopyFrom(ReadOnlySpan<byte> source, ReadOnlySpan<Libc.IoVec> buffers)
    {
        foreach (var buffer in buffers)
        {
            var piece = new Span<byte>(buffer.iov_base, checked((int)buffer.iov_len));
            source[..piece.Length].CopyTo(piece);
            source = source[piece.Length..];
        }
    }
}
