using Glue.Core.Interop;

namespace Glue.Devices.Block.Qcow2;

/// <summary>A raw backing file: read-only bytes whose length is the file's (reads past it are zeroes).</summary>
internal sealed class RawBacking(HostFile file) : IDiskImage
{
    private const int EROFS = 30;

    public long Length { get; } = file.Length;

    public bool ReadOnly => true;

    public unsafe int Read(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        Span<Libc.IoVec> copy = buffers.Length <= 64 ? stackalloc Libc.IoVec[buffers.Length] : new Libc.IoVec[buffers.Length];
        buffers.CopyTo(copy);
        return file.ReadV(copy, offset);
    }

    public int Write(ReadOnlySpan<Libc.IoVec> buffers, long offset) => -EROFS;

    public int Discard(long offset, long length) => -EROFS;

    public int WriteZeroes(long offset, long length, bool unmap) => -EROFS;

    public int Flush() => 0;

    public void Dispose() => file.Dispose();
}
