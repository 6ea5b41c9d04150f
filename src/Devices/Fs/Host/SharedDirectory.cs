using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Devices.Fs.Host.HostCalls;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// The host side of one share: every operation the guest may ask, on node ids and handles, confined to the
/// directory the share was made from.
///
/// Confinement: each node is an O_PATH fd (<see cref="NodeTable"/>); a name is one checked component
/// (<see cref="HostName"/>), resolved from its parent's fd with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS and O_NOFOLLOW, so a symlink is opened as itself and never followed, and a directory swapped
/// for a symlink between two requests is met as a symlink. Calls on a node use its fd (AT_EMPTY_PATH,
/// AT_SYMLINK_NOFOLLOW); where Linux has no fd form (opening for I/O, chmod, utimes, access), the node's own fd is
/// reopened through /proc/self/fd, which names exactly that file and only for regular files and directories.
/// Only regular files are opened for I/O, so a device node or FIFO the host placed in the share is never opened;
/// MKNOD makes regular files, FIFOs and sockets, and refuses device nodes with EPERM.
///
/// Every method returns 0 or an errno, and runs on any thread: the tables lock, the fds are leased.
/// </summary>
internal sealed unsafe partial class SharedDirectory : IDisposable
{
    /// <summary>How a name is resolved beneath its parent: no symlink anywhere, no magic link, nothing above the parent.</summary>
    private const ulong Beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

    private readonly SafeFd _procFds;
    private readonly NodeTable _nodes;
    private readonly HandleTable _handles;
    private readonly uint _umask;

    /// <summary>Opens the share's root: <paramref name="path"/> must be a directory; 0 or the errno, with <paramref name="share"/> null on failure.</summary>
    public static int Open(string path, bool readOnly, int maxFds, out SharedDirectory? share)
    {
        share = null;
        var budget = new FdBudget(maxFds);
        int root = Libc.Open(path, O_PATH | O_DIRECTORY | Libc.O_CLOEXEC);
        if (root < 0) return Marshal.GetLastPInvokeError();
        var rootFd = new SafeFd(root);
        int procFds = Libc.Open("/proc/self/fd", O_PATH | O_DIRECTORY | Libc.O_CLOEXEC);
        if (procFds < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            rootFd.Dispose();
            return errno;
        }
        Stat status;
        if (FstatAt(root, EmptyPath, &status, AT_EMPTY_PATH) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            rootFd.Dispose();
            Libc.Close(procFds);
            return errno;
        }
        share = new SharedDirectory(rootFd, status, new SafeFd(procFds), readOnly, budget);
        return 0;
    }

    private SharedDirectory(SafeFd root, in Stat status, SafeFd procFds, bool readOnly, FdBudget budget)
    {
        _procFds = procFds;
        _nodes = new NodeTable(root, status, budget);
        _handles = new HandleTable(budget);
        ReadOnly = readOnly;
        Budget = budget;
        // What the host applies to every mode we create with; a guest's mode is restored exactly where it differs.
        _umask = Umask(0x12);   // 022
        Umask(_umask);
    }

    public bool ReadOnly { get; }

    public FdBudget Budget { get; }

    public int NodeCount => _nodes.Count;

    public int HandleCount => _handles.Count;

    /// <summary>"" for the *at calls that act on the fd itself (AT_EMPTY_PATH).</summary>
    private static byte* EmptyPath => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(""u8));

    // ---- Nodes.

    /// <summary>LOOKUP: the node for <paramref name="name"/> in <paramref name="parent"/>, counted once more, and its attributes.</summary>
    public int Lookup(ulong parent, ReadOnlySpan<byte> name, out ulong node, out Stat status)
    {
        node = 0;
        status = default;
        byte* z = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(name, new Span<byte>(z, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(parent, out var dir, out _)) return Errno.EBADF;
        using (dir)
        {
            int fd = OpenAt2(dir.Fd, z, O_PATH | O_NOFOLLOW | Libc.O_CLOEXEC, 0, Beneath);
            if (fd < 0) return Marshal.GetLastPInvokeError();
            return Remember(new SafeFd(fd), out node, out status);
        }
    }

    /// <summary>Counts a lookup of the file <paramref name="fd"/> (O_PATH) names; the table takes the fd.</summary>
    private int Remember(SafeFd fd, out ulong node, out Stat status)
    {
        node = 0;
        Stat s;
        if (FstatAt(fd.Fd, EmptyPath, &s, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            status = default;
            return errno;
        }
        status = s;
        node = _nodes.Remember(fd, s, out int full);
        return full;
    }

    /// <summary>FORGET and BATCH_FORGET.</summary>
    public void Forget(ulong node, ulong lookups) => _nodes.Forget(node, lookups);

    /// <summary>GETATTR: the node's attributes, never following a symlink.</summary>
    public int GetAttr(ulong node, out Stat status)
    {
        status = default;
        if (!_nodes.TryGet(node, out var lease, out _)) return Errno.EBADF;
        using (lease) return StatOf(lease.Fd, out status);
    }

    private static int StatOf(int fd, out Stat status)
    {
        Stat s;
        int result = FstatAt(fd, EmptyPath, &s, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        status = s;
        return result < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>STATFS of the file system the share is on.</summary>
    public int StatFs(ulong node, out StatFs result)
    {
        result = default;
        if (!_nodes.TryGet(node, out var lease, out _)) return Errno.EBADF;
        using (lease)
        {
            StatFs s;
            int status = Fstatfs(lease.Fd, &s);
            result = s;
            return status < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    /// <summary>READLINK: the target of a symlink node, as it is stored; nothing is resolved.</summary>
    public int ReadLink(ulong node, Span<byte> buffer, out int length)
    {
        length = 0;
        if (!_nodes.TryGet(node, out var lease, out uint kind)) return Errno.EBADF;
        using (lease)
        {
            if (kind != S_IFLNK) return Errno.EINVAL;
            fixed (byte* b = buffer)
            {
                nint got = ReadlinkAt(lease.Fd, EmptyPath, b, (nuint)buffer.Length);
                if (got < 0) return Marshal.GetLastPInvokeError();
                length = (int)got;
                return 0;
            }
        }
    }

    /// <summary>ACCESS: whether glue's user may do <paramref name="mask"/> (R_OK, W_OK, X_OK) to the node.</summary>
    public int Access(ulong node, int mask)
    {
        if (!_nodes.TryGet(node, out var lease, out uint kind)) return Errno.EBADF;
        using (lease)
        {
            if (ReadOnly && (mask & 2) != 0) return Errno.EROFS;   // W_OK
            if (kind == S_IFLNK) return 0;   // a symlink's own permissions are never checked (symlink(7))
            return Check(FaccessAt(_procFds.Fd, FdName(lease.Fd, stackalloc byte[12]), mask, 0));
        }
    }

    /// <summary>The /proc/self/fd entry of <paramref name="fd"/>, NUL-terminated in <paramref name="buffer"/>: the path that reopens exactly that file.</summary>
    private static byte* FdName(int fd, Span<byte> buffer)
    {
        fd.TryFormat(buffer, out int written);
        buffer[written] = 0;
        return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
    }

    /// <summary>Opens the node's file again with <paramref name="flags"/>, through its /proc/self/fd entry; the fd or -errno.</summary>
    private int Reopen(int nodeFd, int flags)
    {
        Span<byte> name = stackalloc byte[12];
        int fd = OpenAt(_procFds.Fd, FdName(nodeFd, name), flags | Libc.O_CLOEXEC, 0);
        return fd < 0 ? -Marshal.GetLastPInvokeError() : fd;
    }

    private static int Check(int result) => result < 0 ? Marshal.GetLastPInvokeError() : 0;

    /// <summary>DESTROY, or the device's reset: every node but the root and every handle is closed.</summary>
    public void Clear()
    {
        _handles.Clear();
        _nodes.Clear();
    }

    public void Dispose()
    {
        _handles.Clear();
        _nodes.Close();
        _procFds.Dispose();
    }
}
