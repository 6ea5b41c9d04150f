using System.Runtime.InteropServices;
using static Glue.Core.Interop.Libc;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// The libc calls the shared directory makes. Paths are NUL-terminated bytes (a guest's names need not be UTF-8);
/// each call returns -1 and sets errno on failure.
/// </summary>
internal static unsafe partial class HostCalls
{
    // fcntl.h, asm-generic/fcntl.h (x86-64).
    public const int O_ACCMODE = 0x3;
    public const int O_WRONLY = 0x1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_DSYNC = 0x1000;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_SYNC = 0x101000;
    public const int O_PATH = 0x200000;
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const int AT_EMPTY_PATH = 0x1000;

    // linux/openat2.h: struct open_how's resolve flags.
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    public const ulong RESOLVE_BENEATH = 0x08;

    // linux/fs.h: renameat2 flags.
    public const uint RENAME_NOREPLACE = 1;
    public const uint RENAME_EXCHANGE = 2;

    // sys/stat.h: st_mode.
    public const uint S_IFMT = 0xf000, S_IFSOCK = 0xc000, S_IFLNK = 0xa000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000, S_ISUID = 0x800, S_ISGID = 0x400;

    // utimensat's special tv_nsec values.
    public const long UTIME_NOW = (1L << 30) - 1;
    public const long UTIME_OMIT = (1L << 30) - 2;

    /// <summary>x86-64's syscall number of openat2 (arch/x86/entry/syscalls/syscall_64.tbl); glibc 2.36 has no wrapper.</summary>
    private const long SYS_openat2 = 437;

    /// <summary>struct open_how (linux/openat2.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong flags;
        public ulong mode;
        public ulong resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    /// <summary>openat2(2): the new fd, or -1.</summary>
    public static int OpenAt2(int dirfd, byte* path, ulong flags, ulong mode, ulong resolve)
    {
        var how = new OpenHow { flags = flags, mode = mode, resolve = resolve };
        return (int)Syscall(SYS_openat2, dirfd, path, &how, (nuint)sizeof(OpenHow));
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirfd, byte* path, int flags, uint mode);

    /// <summary>x86-64 struct stat (asm/stat.h), 144 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong st_dev;
        public ulong st_ino;
        public ulong st_nlink;
        public uint st_mode;
        public uint st_uid;
        public uint st_gid;
        public int pad0;
        public ulong st_rdev;
        public long st_size;
        public long st_blksize;
        public long st_blocks;
        public long st_atime;
        public long st_atime_nsec;
        public long st_mtime;
        public long st_mtime_nsec;
        public long st_ctime;
        public long st_ctime_nsec;
        private long _reserved0, _reserved1, _reserved2;
    }

    [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true)]
    public static partial int FstatAt(int dirfd, byte* path, Stat* stat, int flags);

    /// <summary>x86-64 struct statfs (asm-generic/statfs.h), 120 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatFs
    {
        public long f_type;
        public long f_bsize;
        public ulong f_blocks;
        public ulong f_bfree;
        public ulong f_bavail;
        public ulong f_files;
        public ulong f_ffree;
        public long f_fsid;
        public long f_namelen;
        public long f_frsize;
        public long f_flags;
        private long _spare0, _spare1, _spare2, _spare3;
    }

    [LibraryImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int Fstatfs(int fd, StatFs* buffer);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true)]
    public static partial int MknodAt(int dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    public static partial int SymlinkAt(byte* target, int dirfd, byte* path);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    public static partial nint ReadlinkAt(int dirfd, byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    public static partial int RenameAt2(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true)]
    public static partial int FchmodAt(int dirfd, byte* path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    public static partial int FchownAt(int dirfd, byte* path, uint owner, uint group, int flags);

    /// <summary>struct timespec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true)]
    public static partial int UtimensAt(int dirfd, byte* path, TimeSpec* times, int flags);

    [LibraryImport("libc", EntryPoint = "faccessat", SetLastError = true)]
    public static partial int FaccessAt(int dirfd, byte* path, int mode, int flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "preadv", SetLastError = true)]
    public static partial nint Preadv(int fd, IoVec* iov, int iovcnt, long offset);

    [LibraryImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    public static partial nint Pwritev(int fd, IoVec* iov, int iovcnt, long offset);

    /// <summary>getdents64(2): linux_dirent64 records (glibc 2.30+ wraps it).</summary>
    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint Getdents64(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);
}
