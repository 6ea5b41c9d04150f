using Glue.Core.Interop;

namespace Glue.Devices.Block;

/// <summary>A disk's bytes as the block device sees them (raw file, qcow2). Thread-safe: requests call it concurrently.</summary>
public interface IDiskImage : IDisposable
{
    /// <summary>The disk's size in bytes, as the guest sees it.</summary>
    long Length { get; }
    bool ReadOnly { get; }
    /// <summary>Fills the buffers, in order, from the disk's bytes at offset. 0, or a negative errno.</summary>
    int Read(ReadOnlySpan<Libc.IoVec> buffers, long offset);
    /// <summary>
    /// The same read as far as it need not wait for the disk (its bytes are in the page cache): the bytes read from
    /// the front, all of them or fewer, when a worker reads the rest with <see cref="Read"/> (which also reports any
    /// error). The I/O thread asks this first.
    /// </summary>
    long ReadCached(ReadOnlySpan<Libc.IoVec> buffers, long offset) => 0;
    /// <summary>Writes the buffers, in order, to the disk at offset. 0, or a negative errno.</summary>
    int Write(ReadOnlySpan<Libc.IoVec> buffers, long offset);
    /// <summary>The range need not keep its contents (reads may return zeroes or the old bytes). 0, or a negative errno.</summary>
    int Discard(long offset, long length);
    /// <summary>The range reads as zeroes afterwards; with unmap, its space may be freed. 0, or a negative errno.</summary>
    int WriteZeroes(long offset, long length, bool unmap);
    /// <summary>Makes every completed write durable (data and metadata). 0, or a negative errno.</summary>
    int Flush();
}
