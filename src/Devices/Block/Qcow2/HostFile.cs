using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The image file under a qcow2 image: whole-transfer positional reads and writes (preadv/pwritev, retried on
/// EINTR and short transfers) returning 0 or a negative errno, and fdatasync. It owns the descriptor.
/// </summary>
internal sealed unsafe class HostFile(SafeFileHandle handle) : IDisposable
{
    public const int EIO = 5, EINTR = 4;

    private readonly int _fd = (int)handle.DangerousGetHandle();

    public SafeFileHandle Handle { get; } = handle;

    public long Length => RandomAccess.GetLength(Handle);

    private bool _readsNoWait = true;

    /// <summary>The buffers filled from offset as far as the page cache holds them (<see cref="DiskLibc.ReadCached"/>): the bytes read.</summary>
    public long ReadCached(ReadOnlySpan<Libc.IoVec> buffers, long offset) => DiskLibc.ReadCached(_fd, buffers, offset, ref _readsNoWait);

    /// <summary>Fills the buffers from offset; what lies past the end of the file reads as zeroes (as QEMU's file driver does).</summary>
    public int ReadV(Span<Libc.IoVec> buffers, long offset)
    {
        while (buffers.Length > 0)
        {
            nint got;
            fixed (Libc.IoVec* iov = buffers) got = DiskLibc.Preadv(_fd, iov, buffers.Length, offset);
            if (got < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                return -errno;
            }
            if (got == 0)
            {
                IoVecs.Zero(buffers);
                return 0;
            }
            buffers = IoVecs.Advance(buffers, got);
            offset += got;
        }
        return 0;
    }

    public int WriteV(Span<Libc.IoVec> buffers, long offset)
    {
        while (buffers.Length > 0)
        {
            nint put;
            fixed (Libc.IoVec* iov = buffers) put = DiskLibc.Pwritev(_fd, iov, buffers.Length, offset);
            if (put < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                return -errno;
            }
            if (put == 0) return -EIO;
            buffers = IoVecs.Advance(buffers, put);
            offset += put;
        }
        return 0;
    }

    public int Read(Span<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            Span<Libc.IoVec> one = [new Libc.IoVec { iov_base = p, iov_len = (nuint)data.Length }];
            return ReadV(one, offset);
        }
    }

    /// <summary>Like <see cref="Read"/>, but metadata must exist: a read past the end of the file is -EIO.</summary>
    public int ReadExisting(Span<byte> data, long offset)
    {
        if (offset < 0 || offset > Length - data.Length) return -EIO;
        return Read(data, offset);
    }

    public int Write(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            Span<Libc.IoVec> one = [new Libc.IoVec { iov_base = p, iov_len = (nuint)data.Length }];
            return WriteV(one, offset);
        }
    }

    /// <summary>fdatasync: everything written so far is on stable storage.</summary>
    public int Sync()
    {
        while (DiskLibc.Fdatasync(_fd) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return -errno;
        }
        return 0;
    }

    public void Dispose() => Handle.Dispose();
}
