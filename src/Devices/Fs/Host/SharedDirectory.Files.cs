using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Core.Interop.Libc;
using static Glue.Devices.Fs.Host.HostCalls;

namespace Glue.Devices.Fs.Host;

// Open files and directories (handles), and the calls on them: read, write, sync, allocate, seek, copy, list.
internal sealed unsafe partial class SharedDirectory
{
    /// <summary>The open flags a guest's OPEN or CREATE may pass on; O_CREAT, O_NOFOLLOW, O_CLOEXEC are Glue's to set.</summary>
    private const int GuestOpenFlags = O_ACCMODE | O_TRUNC | O_APPEND | O_SYNC | O_DSYNC;

    private bool Writes(int flags) => (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;

    /// <summary>OPEN: only a regular file is opened (a device node, FIFO or socket in the share is EACCES, a directory EISDIR).</summary>
    public int Open(ulong node, int flags, out ulong handle)
    {
        handle = 0;
        if (!_nodes.TryGet(node, out var lease, out uint kind)) return Errno.EBADF;
        using (lease)
        {
            if (kind == S_IFDIR) return Errno.EISDIR;
            if (kind != S_IFREG) return Errno.EACCES;
            if (ReadOnly && Writes(flags)) return Errno.EROFS;
            return Hold(Reopen(lease.Fd, flags & GuestOpenFlags), directory: false, out handle);
        }
    }

    /// <summary>OPENDIR.</summary>
    public int OpenDirectory(ulong node, out ulong handle)
    {
        handle = 0;
        if (!_nodes.TryGet(node, out var lease, out uint kind)) return Errno.EBADF;
        using (lease)
        {
            if (kind != S_IFDIR) return Errno.ENOTDIR;
            return Hold(Reopen(lease.Fd, O_RDONLY | O_DIRECTORY), directory: true, out handle);
        }
    }

    /// <summary>Puts an fd just opened (or -errno) in the handle table, within the share's fd limit.</summary>
    private int Hold(int fd, bool directory, out ulong handle)
    {
        handle = 0;
        if (fd < 0) return -fd;
        if (!_handles.TryReserve())
        {
            Close(fd);
            return Errno.EMFILE;
        }
        handle = _handles.Add(new SafeFd(fd), directory);
        return 0;
    }

    /// <summary>
    /// CREATE: a new regular file opened beneath its parent with O_EXCL and O_NOFOLLOW, then its node, from the open
    /// file itself. A name that exists already (and the guest did not ask O_EXCL) is opened as OPEN opens a node.
    /// </summary>
    public int Create(ulong parent, ReadOnlySpan<byte> name, int flags, uint mode, out ulong node, out Stat status, out ulong handle)
    {
        node = 0;
        handle = 0;
        status = default;
        if (ReadOnly) return Errno.EROFS;
        byte* z = stackalloc byte[HostName.BufferSize];
        int errno = HostName.Copy(name, new Span<byte>(z, HostName.BufferSize));
        if (errno != 0) return errno;
        if (!_nodes.TryGet(parent, out var dir, out _)) return Errno.EBADF;
        int fd;
        mode = AllowedMode(mode, directory: false);
        using (dir)
        {
            fd = OpenAt2(dir.Fd, z, (ulong)((flags & GuestOpenFlags) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC), mode, Beneath);
            if (fd >= 0)
            {
                if ((mode & _umask) != 0) Fchmod(fd, mode);
            }
            else
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EEXIST || (flags & O_EXCL) != 0) return errno;
                fd = OpenExisting(dir.Fd, z, flags);
                if (fd < 0) return -fd;
            }
        }
        int path = Reopen(fd, O_PATH);
        if (path < 0)
        {
            Close(fd);
            return -path;
        }
        errno = Remember(new SafeFd(path), out node, out status);
        if (errno == 0) errno = Hold(fd, directory: false, out handle);
        else Close(fd);
        if (errno != 0 && node != 0)
        {
            _nodes.Forget(node, 1);
            node = 0;
        }
        return errno;
    }

    /// <summary>
    /// CREATE of a name that exists: only a regular file is opened, its mode left as it is; a symlink is ELOOP (as
    /// O_NOFOLLOW makes it), a directory EISDIR, anything else EACCES, never opened: a FIFO's open would wait for its
    /// other end, holding a worker for good, and a device node's would reach a host driver. The fd or -errno.
    /// </summary>
    private int OpenExisting(int dir, byte* name, int flags)
    {
        int path = OpenAt2(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, Beneath);
        if (path < 0) return -Marshal.GetLastPInvokeError();
        int errno = StatOf(path, out var status);
        uint kind = status.st_mode & S_IFMT;
        int fd = errno != 0 ? -errno
            : kind == S_IFLNK ? -Errno.ELOOP
            : kind == S_IFDIR ? -Errno.EISDIR
            : kind != S_IFREG ? -Errno.EACCES
            : Reopen(path, flags & GuestOpenFlags);
        Close(path);
        return fd;
    }

    /// <summary>RELEASE and RELEASEDIR.</summary>
    public int Release(ulong handle, bool directory) => _handles.Remove(handle, directory) ? 0 : Errno.EBADF;

    /// <summary>READ: preadv from the file straight into <paramref name="buffers"/> (guest memory); the bytes read, or -errno.</summary>
    public long Read(ulong handle, long offset, IoVec* buffers, int count)
    {
        if (!_handles.TryGet(handle, directory: false, out var file)) return -Errno.EBADF;
        using (file)
        {
            nint done = Preadv(file.Fd, buffers, count, offset);
            return done < 0 ? -Marshal.GetLastPInvokeError() : done;
        }
    }

    /// <summary>WRITE: pwritev from <paramref name="buffers"/> (guest memory) to the file; the bytes written, or -errno.</summary>
    public long Write(ulong handle, long offset, IoVec* buffers, int count)
    {
        if (ReadOnly) return -Errno.EROFS;
        if (!_handles.TryGet(handle, directory: false, out var file)) return -Errno.EBADF;
        using (file)
        {
            nint done = Pwritev(file.Fd, buffers, count, offset);
            return done < 0 ? -Marshal.GetLastPInvokeError() : done;
        }
    }

    /// <summary>FSYNC and FSYNCDIR.</summary>
    public int Sync(ulong handle, bool directory, bool dataOnly)
    {
        if (!_handles.TryGet(handle, directory, out var file)) return Errno.EBADF;
        using (file) return Check(dataOnly ? Fdatasync(file.Fd) : Fsync(file.Fd));
    }

    /// <summary>FLUSH: nothing is buffered in Glue; the handle is checked.</summary>
    public int Flush(ulong handle)
    {
        if (!_handles.TryGet(handle, directory: false, out var file)) return Errno.EBADF;
        file.Dispose();
        return 0;
    }

    public int Allocate(ulong handle, int mode, long offset, long length)
    {
        if (ReadOnly) return Errno.EROFS;
        if (!_handles.TryGet(handle, directory: false, out var file)) return Errno.EBADF;
        using (file) return Check(Fallocate(file.Fd, mode, offset, length));
    }

    /// <summary>LSEEK (SEEK_DATA and SEEK_HOLE are what the guest asks; SEEK_SET/CUR/END work too); the offset or -errno.</summary>
    public long Seek(ulong handle, long offset, int whence)
    {
        if (!_handles.TryGet(handle, directory: false, out var file)) return -Errno.EBADF;
        using (file)
        {
            long at = Lseek(file.Fd, offset, whence);
            return at < 0 ? -Marshal.GetLastPInvokeError() : at;
        }
    }

    /// <summary>COPY_FILE_RANGE between two open files of the share; the bytes copied, or -errno.</summary>
    public long CopyRange(ulong fromHandle, long fromOffset, ulong toHandle, long toOffset, ulong length)
    {
        if (ReadOnly) return -Errno.EROFS;
        if (!_handles.TryGet(fromHandle, directory: false, out var from)) return -Errno.EBADF;
        using (from)
        {
            if (!_handles.TryGet(toHandle, directory: false, out var to)) return -Errno.EBADF;
            using (to)
            {
                nint done = CopyFileRange(from.Fd, &fromOffset, to.Fd, &toOffset, (nuint)Math.Min(length, int.MaxValue), 0);
                return done < 0 ? -Marshal.GetLastPInvokeError() : done;
            }
        }
    }

    /// <summary>
    /// READDIR's host side: linux_dirent64 records of the open directory from <paramref name="offset"/> (a d_off the
    /// guest got earlier, or 0) into <paramref name="buffer"/>; the bytes filled (0 at the end), or -errno.
    /// </summary>
    public long ReadEntries(ulong handle, long offset, Span<byte> buffer)
    {
        if (!_handles.TryGet(handle, directory: true, out var dir)) return -Errno.EBADF;
        using (dir)
        {
            if (Lseek(dir.Fd, offset, 0) < 0) return -Marshal.GetLastPInvokeError();   // SEEK_SET
            fixed (byte* b = buffer)
            {
                nint got = Getdents64(dir.Fd, b, (nuint)buffer.Length);
                return got < 0 ? -Marshal.GetLastPInvokeError() : got;
            }
        }
    }
}
