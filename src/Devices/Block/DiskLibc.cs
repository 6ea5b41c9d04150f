using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Devices.Block;

/// <summary>
/// The file calls behind <see cref="RawDiskImage"/>. Each returns -1 and sets errno on failure; the fd is the caller's
/// (it holds a reference on its handle for the call).
/// </summary>
internal static unsafe partial class DiskLibc
{
    // asm-generic/fcntl.h.
    public const int O_DIRECT = 0x4000;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    // linux/falloc.h.
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    // asm-generic/errno-base.h and errno.h: what the image answers with, and what it falls back on.
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EINVAL = 22;
    public const int EROFS = 30;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    /// <summary>linux/uio.h UIO_MAXIOV: the most buffers one preadv/pwritev takes.</summary>
    public const int IOV_MAX = 1024;

    /// <summary>Bytes read (0 at end of file), -1 on error.</summary>
    [LibraryImport("libc", EntryPoint = "preadv", SetLastError = true)]
    public static partial nint Preadv(int fd, Libc.IoVec* iov, int iovcnt, long offset);

    /// <summary>linux/fs.h: preadv2's flag to fail with EAGAIN rather than wait for the disk.</summary>
    public const int RWF_NOWAIT = 0x8;

    /// <summary>Bytes read (0 at end of file), -1 on error (EAGAIN: the read would have waited).</summary>
    [LibraryImport("libc", EntryPoint = "preadv2", SetLastError = true)]
    public static partial nint Preadv2(int fd, Libc.IoVec* iov, int iovcnt, long offset, int flags);

    /// <summary>
    /// The buffers filled by one preadv2 with RWF_NOWAIT, through the page cache only: the bytes read from the front,
    /// up to the first the cache did not hold (a page under writeback can be one), and a worker reads the rest with a
    /// plain preadv (which reports any error). A file system that does not take the flag (tmpfs before Linux 6.6, 9p)
    /// clears <paramref name="supported"/>, and its callers stop asking.
    /// </summary>
    public static long ReadCached(int fd, ReadOnlySpan<Libc.IoVec> buffers, long offset, ref bool supported)
    {
        if (!supported || buffers.Length > IOV_MAX) return 0;
        nint done;
        fixed (Libc.IoVec* iov = buffers) done = Preadv2(fd, iov, buffers.Length, offset, RWF_NOWAIT);
        if (done >= 0) return done;
        if (Marshal.GetLastPInvokeError() == EOPNOTSUPP) supported = false;
        return 0;
    }

    /// <summary>Bytes written, -1 on error.</summary>
    [LibraryImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    public static partial nint Pwritev(int fd, Libc.IoVec* iov, int iovcnt, long offset);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    /// <summary>fdatasync(2): the file's data, and the metadata needed to read it, on stable storage.</summary>
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int Fdatasync(int fd);

    /// <summary>fsync(2): data and all metadata.</summary>
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    // linux/stat.h: statx(2) with STATX_DIOALIGN (Linux 6.1) says what O_DIRECT needs of a file.
    public const int AT_FDCWD = -100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_DIOALIGN = 0x2000;
    public const int StatxSize = 256;                  // struct statx
    public const int StatxMaskOffset = 0;              // __u32 stx_mask
    public const int StatxDioMemAlignOffset = 152;     // __u32 stx_dio_mem_align
    public const int StatxDioOffsetAlignOffset = 156;  // __u32 stx_dio_offset_align

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, byte* statx);
}
