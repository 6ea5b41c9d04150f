using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Glue.Core.Interop;

/// <summary>What kind of file a path names (the S_IFMT bits of st_mode, sys/stat.h).</summary>
public enum FileKind { Regular, Directory, CharacterDevice, BlockDevice, Fifo, Socket, SymbolicLink, Other }

/// <summary>
/// stat(2), lstat(2) and fstat(2) as far as Glue asks them: the kind, the size, the owner and the identity
/// (device and inode) of a file. Asked before a file is opened, it tells a FIFO (whose open would wait for a
/// writer) or a device from a regular file.
/// </summary>
public readonly partial record struct FileStatus(FileKind Kind, long Size, ulong Device, ulong Inode, uint Owner)
{
    // x86-64 struct stat (asm/stat.h): st_dev @0, st_ino @8, st_mode @24, st_uid @28, st_size @48.
    private const int DevOffset = 0, InoOffset = 8, ModeOffset = 24, UidOffset = 28;
    private const uint S_IFMT = 0xf000, S_IFSOCK = 0xc000, S_IFLNK = 0xa000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;
    private const int ENOENT = 2, ENOTDIR = 20;

    /// <summary>How the kind reads in an error message: "a FIFO", "a directory".</summary>
    public string KindText => Kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        FileKind.SymbolicLink => "a symbolic link",
        _ => "not a regular file",
    };

    /// <summary>stat(2), following symbolic links; 0 or the errno.</summary>
    public static unsafe int Of(string path, out FileStatus status)
    {
        byte* stat = stackalloc byte[Libc.StatSize];
        return Result(Stat(path, stat), stat, out status);
    }

    /// <summary>lstat(2): a symbolic link is itself; 0 or the errno.</summary>
    public static unsafe int OfLink(string path, out FileStatus status)
    {
        byte* stat = stackalloc byte[Libc.StatSize];
        return Result(Lstat(path, stat), stat, out status);
    }

    /// <summary>fstat(2) of an open descriptor; 0 or the errno.</summary>
    public static unsafe int Of(SafeHandle file, out FileStatus status)
    {
        byte* stat = stackalloc byte[Libc.StatSize];
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            return Result(Libc.Fstat((int)file.DangerousGetHandle(), stat), stat, out status);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>True for the errno of a path that does not exist (ENOENT, or ENOTDIR for a file used as a directory).</summary>
    public static bool IsMissing(int errno) => errno is ENOENT or ENOTDIR;

    /// <summary>An errno of stat or open as a message says it: "no such file", "permission denied".</summary>
    public static string Reason(int errno) => IsMissing(errno) ? "no such file" : Libc.ErrorText(errno).ToLowerInvariant();

    private static unsafe int Result(int result, byte* stat, out FileStatus status)
    {
        status = default;
        if (result != 0) return Marshal.GetLastPInvokeError();
        var bytes = new ReadOnlySpan<byte>(stat, Libc.StatSize);
        uint mode = BinaryPrimitives.ReadUInt32LittleEndian(bytes[ModeOffset..]);
        var kind = (mode & S_IFMT) switch
        {
            S_IFREG => FileKind.Regular,
            S_IFDIR => FileKind.Directory,
            S_IFCHR => FileKind.CharacterDevice,
            S_IFBLK => FileKind.BlockDevice,
            S_IFIFO => FileKind.Fifo,
            S_IFSOCK => FileKind.Socket,
            S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        status = new FileStatus(kind, BinaryPrimitives.ReadInt64LittleEndian(bytes[Libc.StatSizeOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[DevOffset..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[InoOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[UidOffset..]));
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* stat);

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Lstat(string path, byte* stat);
}
