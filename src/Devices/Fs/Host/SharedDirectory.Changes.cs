using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Devices.Fs.Host.HostCalls;

namespace Glue.Devices.Fs.Host;

// What changes the share: new names, removed names, renames, attributes. A read-only share refuses each with EROFS.
internal sealed unsafe partial class SharedDirectory
{
    /// <summary>
    /// The mode bits a new or chmodded file gets: the permission bits and sticky bit as asked, setuid and setgid
    /// dropped from anything but a directory, so a guest cannot leave a set-id program in a host folder.
    /// </summary>
    private static uint AllowedMode(uint mode, bool directory) => directory ? mode & 0xfff : mode & 0xfff & ~(S_ISUID | S_ISGID);

    /// <summary>MKDIR, MKNOD, SYMLINK share this: make <paramref name="name"/> in <paramref name="parent"/> with <paramref name="make"/>, then look it up.</summary>
    private int MakeThenLookup(ulong parent, ReadOnlySpan<byte> name, uint mode, delegate*<int, byte*, uint, void*, int> make, void* argument,
        out ulong node, out Stat status)
    {
        node = 0;
        status = default;
        if (ReadOnly) return Errno.EROFS;
        byte* z = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(name, new Span<byte>(z, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(parent, out var dir, out _)) return Errno.EBADF;
        using (dir)
        {
            if (make(dir.Fd, z, mode, argument) < 0) return Marshal.GetLastPInvokeError();
            int fd = OpenAt2(dir.Fd, z, O_PATH | O_NOFOLLOW | Libc.O_CLOEXEC, 0, Beneath);
            if (fd < 0) return Marshal.GetLastPInvokeError();
            // The host's umask took bits the guest asked for (it applied its own already): give them back.
            if ((mode & _umask) != 0 && (mode & S_IFMT) != S_IFLNK)
                FchmodAt(_procFds.Fd, FdName(fd, stackalloc byte[12]), mode & 0xfff, 0);
            return Remember(new SafeFd(fd), out node, out status);
        }
    }

    public int MakeDirectory(ulong parent, ReadOnlySpan<byte> name, uint mode, out ulong node, out Stat status) =>
        MakeThenLookup(parent, name, S_IFDIR | AllowedMode(mode, directory: true), &Mkdir, null, out node, out status);

    private static int Mkdir(int dir, byte* name, uint mode, void* _) => MkdirAt(dir, name, mode & 0xfff);

    /// <summary>MKNOD: a regular file, FIFO or socket; a character or block device is refused with EPERM.</summary>
    public int MakeNode(ulong parent, ReadOnlySpan<byte> name, uint mode, out ulong node, out Stat status)
    {
        node = 0;
        status = default;
        uint kind = mode & S_IFMT;
        if (kind is not (S_IFREG or S_IFIFO or S_IFSOCK)) return kind is S_IFCHR or S_IFBLK ? Errno.EPERM : Errno.EINVAL;
        return MakeThenLookup(parent, name, kind | AllowedMode(mode, directory: false), &Mknod, null, out node, out status);
    }

    private static int Mknod(int dir, byte* name, uint mode, void* _) => MknodAt(dir, name, mode, 0);

    /// <summary>SYMLINK: a link holding <paramref name="target"/> as given (NUL-terminated); it is stored, never resolved.</summary>
    public int MakeSymlink(ulong parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out ulong node, out Stat status)
    {
        node = 0;
        status = default;
        if (target.Length < 2 || target[^1] != 0 || target[..^1].IndexOf((byte)0) >= 0) return Errno.EINVAL;
        fixed (byte* t = target)
            return MakeThenLookup(parent, name, S_IFLNK, &Symlink, t, out node, out status);
    }

    private static int Symlink(int dir, byte* name, uint _, void* target) => SymlinkAt((byte*)target, dir, name);

    /// <summary>
    /// LINK: a new name in the share for a node of the share. The node's fd is linked itself (AT_EMPTY_PATH, which
    /// needs CAP_DAC_READ_SEARCH), or else through its /proc/self/fd entry; no path is resolved either way.
    /// </summary>
    public int Link(ulong node, ulong newParent, ReadOnlySpan<byte> newName, out ulong linked, out Stat status)
    {
        linked = 0;
        status = default;
        if (ReadOnly) return Errno.EROFS;
        byte* z = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(newName, new Span<byte>(z, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(node, out var source, out uint kind)) return Errno.EBADF;
        using (source)
        {
            if (kind == S_IFDIR) return Errno.EPERM;
            if (!_nodes.TryGet(newParent, out var dir, out _)) return Errno.EBADF;
            using (dir)
            {
                if (LinkAt(source.Fd, EmptyPath, dir.Fd, z, AT_EMPTY_PATH) < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno is not (Errno.ENOENT or Errno.EPERM) || kind == S_IFLNK) return errno;
                    if (LinkAt(_procFds.Fd, FdName(source.Fd, stackalloc byte[12]), dir.Fd, z, AT_SYMLINK_FOLLOW) < 0)
                        return Marshal.GetLastPInvokeError();
                }
            }
        }
        return Lookup(newParent, newName, out linked, out status);
    }

    /// <summary>UNLINK and RMDIR.</summary>
    public int Remove(ulong parent, ReadOnlySpan<byte> name, bool directory)
    {
        if (ReadOnly) return Errno.EROFS;
        byte* z = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(name, new Span<byte>(z, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(parent, out var dir, out _)) return Errno.EBADF;
        using (dir) return Check(UnlinkAt(dir.Fd, z, directory ? AT_REMOVEDIR : 0));
    }

    /// <summary>RENAME and RENAME2 (RENAME_NOREPLACE, RENAME_EXCHANGE; RENAME_WHITEOUT, which makes a device node, is EINVAL).</summary>
    public int Rename(ulong oldParent, ReadOnlySpan<byte> oldName, ulong newParent, ReadOnlySpan<byte> newName, uint flags)
    {
        if (ReadOnly) return Errno.EROFS;
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) return Errno.EINVAL;
        byte* from = stackalloc byte[HostName.BufferSize];
        byte* to = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(oldName, new Span<byte>(from, HostName.BufferSize));
        if (errno == 0) errno = HostName.Copy(newName, new Span<byte>(to, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(oldParent, out var oldDir, out _)) return Errno.EBADF;
        using (oldDir)
        {
            if (!_nodes.TryGet(newParent, out var newDir, out _)) return Errno.EBADF;
            using (newDir) return Check(RenameAt2(oldDir.Fd, from, newDir.Fd, to, flags));
        }
    }

    /// <summary>
    /// SETATTR's parts, in the order Linux's own setattr applies them: owner, mode, size, times. uid and gid go to
    /// the host unmapped (only a glue run as root may give a file away); the mode loses set-id bits as above.
    /// </summary>
    public int SetAttributes(ulong node, in SetAttributes change, out Stat status)
    {
        status = default;
        if (ReadOnly) return Errno.EROFS;
        if (!_nodes.TryGet(node, out var lease, out uint kind)) return Errno.EBADF;
        using (lease)
        {
            int errno = 0;
            Span<byte> name = stackalloc byte[12];
            byte* self = FdName(lease.Fd, name);
            if (change.Uid is not null || change.Gid is not null)
                errno = Check(FchownAt(lease.Fd, EmptyPath, change.Uid ?? uint.MaxValue, change.Gid ?? uint.MaxValue, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
            if (errno == 0 && change.Mode is uint mode)
                errno = kind == S_IFLNK ? Errno.EOPNOTSUPP : Check(FchmodAt(_procFds.Fd, self, AllowedMode(mode, kind == S_IFDIR), 0));
            if (errno == 0 && change.Size is ulong size) errno = Truncate(lease.Fd, kind, change.Handle, size);
            if (errno == 0 && (change.Access.tv_nsec != UTIME_OMIT || change.Modify.tv_nsec != UTIME_OMIT))
            {
                if (kind == S_IFLNK) return Errno.EOPNOTSUPP;
                var times = stackalloc TimeSpec[2] { change.Access, change.Modify };
                errno = Check(UtimensAt(_procFds.Fd, self, times, 0));
            }
            return errno != 0 ? errno : StatOf(lease.Fd, out status);
        }
    }

    /// <summary>SETATTR's size: on the guest's open handle when it names one, else on the node opened for writing.</summary>
    private int Truncate(int nodeFd, uint kind, ulong? handle, ulong size)
    {
        if (size > long.MaxValue) return Errno.EINVAL;
        if (handle is ulong fh && _handles.TryGet(fh, directory: false, out var file))
        {
            using (file) return Check(Ftruncate(file.Fd, (long)size));
        }
        if (kind == S_IFDIR) return Errno.EISDIR;
        if (kind != S_IFREG) return Errno.EINVAL;
        int fd = Reopen(nodeFd, O_WRONLY);
        if (fd < 0) return -fd;
        int errno = Check(Ftruncate(fd, (long)size));
        Libc.Close(fd);
        return errno;
    }
}

/// <summary>What a SETATTR changes; null or UTIME_OMIT for what it leaves alone.</summary>
internal readonly record struct SetAttributes(uint? Mode, uint? Uid, uint? Gid, ulong? Size, ulong? Handle, HostCalls.TimeSpec Access, HostCalls.TimeSpec Modify);
