using Glue.Devices.Fs.Host;
using static Glue.Devices.Fs.Fuse.FuseConstants;
using static Glue.Devices.Fs.Host.HostCalls;

namespace Glue.Devices.Fs.Fuse;

// The requests on names and attributes: LOOKUP, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR,
// RENAME, RENAME2, LINK, STATFS, ACCESS.
public sealed unsafe partial class FuseServer
{
    private FuseReply Lookup(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryName(args, out var name, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.Lookup(header.nodeid, name, out ulong node, out var status);
        return Entry(request, header, errno, node, status);
    }

    /// <summary>A fuse_entry_out for a node just counted, or the error; a reply that cannot be sent gives the lookup back.</summary>
    private FuseReply Entry(FuseRequest request, in fuse_in_header header, int errno, ulong node, in Stat status)
    {
        if (errno != 0) return Error(request, header, errno);
        var reply = Ok(request, header, EntryOut(node, status));
        if (reply.Length == (uint)OutHeaderSize) _share.Forget(node, 1);
        return reply;
    }

    private fuse_entry_out EntryOut(ulong node, in Stat status) => new()
    {
        nodeid = node,
        entry_valid = _cache.ValidSeconds(),
        attr_valid = _cache.ValidSeconds(),
        attr = Attr(status),
    };

    private static fuse_attr Attr(in Stat s) => new()
    {
        ino = s.st_ino,
        size = (ulong)s.st_size,
        blocks = (ulong)s.st_blocks,
        atime = (ulong)s.st_atime,
        mtime = (ulong)s.st_mtime,
        ctime = (ulong)s.st_ctime,
        atimensec = (uint)s.st_atime_nsec,
        mtimensec = (uint)s.st_mtime_nsec,
        ctimensec = (uint)s.st_ctime_nsec,
        mode = s.st_mode,
        nlink = (uint)Math.Min(s.st_nlink, uint.MaxValue),
        uid = s.st_uid,
        gid = s.st_gid,
        rdev = (uint)s.st_rdev,
        blksize = (uint)s.st_blksize,
    };

    private FuseReply Attributes(FuseRequest request, in fuse_in_header header, int errno, in Stat status) =>
        errno != 0 ? Error(request, header, errno) : Ok(request, header, new fuse_attr_out { attr_valid = _cache.ValidSeconds(), attr = Attr(status) });

    private FuseReply GetAttr(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        // fuse_getattr_in is there from 7.9 on; its fh changes nothing: a node is its file whichever handle asks.
        int errno = _share.GetAttr(header.nodeid, out var status);
        return Attributes(request, header, errno, status);
    }

    private FuseReply SetAttr(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_setattr_in set, out _)) return Error(request, header, Errno.EINVAL);
        uint valid = set.valid;
        var change = new SetAttributes(
            (valid & FATTR_MODE) != 0 ? set.mode : null,
            (valid & FATTR_UID) != 0 ? set.uid : null,
            (valid & FATTR_GID) != 0 ? set.gid : null,
            (valid & FATTR_SIZE) != 0 ? set.size : null,
            (valid & FATTR_FH) != 0 ? set.fh : null,
            Time(valid, FATTR_ATIME, FATTR_ATIME_NOW, set.atime, set.atimensec),
            Time(valid, FATTR_MTIME, FATTR_MTIME_NOW, set.mtime, set.mtimensec));
        int errno = _share.SetAttributes(header.nodeid, change, out var status);
        return Attributes(request, header, errno, status);
    }

    private static TimeSpec Time(uint valid, uint given, uint now, ulong seconds, uint nanoseconds) =>
        (valid & now) != 0 ? new TimeSpec { tv_nsec = UTIME_NOW }
        : (valid & given) != 0 ? new TimeSpec { tv_sec = (long)seconds, tv_nsec = Math.Min(nanoseconds, 999_999_999u) }
        : new TimeSpec { tv_nsec = UTIME_OMIT };

    private FuseReply ReadLink(FuseRequest request, in fuse_in_header header)
    {
        var body = request.Reply.AsSpan(OutHeaderSize, (int)Math.Min((ulong)(request.Reply.Length - OutHeaderSize), request.ReplyRoom - (ulong)OutHeaderSize));
        int errno = _share.ReadLink(header.nodeid, body, out int length);
        return errno != 0 ? Error(request, header, errno) : Header(request, header, OutHeaderSize + length, 0, OutHeaderSize + length);
    }

    private FuseReply Symlink(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        // The link's name, then its target, each NUL-terminated (fs/fuse/dir.c fuse_symlink).
        if (!TryName(args, out var name, out var target) || target.IndexOf((byte)0) != target.Length - 1)
            return Error(request, header, Errno.EINVAL);
        int errno = _share.MakeSymlink(header.nodeid, name, target, out ulong node, out var status);
        return Entry(request, header, errno, node, status);
    }

    private FuseReply MakeNode(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_mknod_in mknod, out var rest) || !TryName(rest, out var name, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.MakeNode(header.nodeid, name, mknod.mode, out ulong node, out var status);
        return Entry(request, header, errno, node, status);
    }

    private FuseReply MakeDirectory(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_mkdir_in mkdir, out var rest) || !TryName(rest, out var name, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.MakeDirectory(header.nodeid, name, mkdir.mode, out ulong node, out var status);
        return Entry(request, header, errno, node, status);
    }

    private FuseReply Remove(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args, bool directory)
    {
        if (!TryName(args, out var name, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Remove(header.nodeid, name, directory));
    }

    private FuseReply Rename(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_rename_in rename, out var names)) return Error(request, header, Errno.EINVAL);
        return RenameNames(request, header, rename.newdir, 0, names);
    }

    private FuseReply Rename2(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_rename2_in rename, out var names)) return Error(request, header, Errno.EINVAL);
        return RenameNames(request, header, rename.newdir, rename.flags, names);
    }

    private FuseReply RenameNames(FuseRequest request, in fuse_in_header header, ulong newParent, uint flags, ReadOnlySpan<byte> names)
    {
        if (!TryName(names, out var oldName, out var rest) || !TryName(rest, out var newName, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Rename(header.nodeid, oldName, newParent, newName, flags));
    }

    private FuseReply Link(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_link_in link, out var rest) || !TryName(rest, out var name, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.Link(link.oldnodeid, header.nodeid, name, out ulong node, out var status);
        return Entry(request, header, errno, node, status);
    }

    private FuseReply StatFs(FuseRequest request, in fuse_in_header header)
    {
        int errno = _share.StatFs(header.nodeid, out var s);
        if (errno != 0) return Error(request, header, errno);
        return Ok(request, header, new fuse_kstatfs
        {
            blocks = s.f_blocks,
            bfree = s.f_bfree,
            bavail = s.f_bavail,
            files = s.f_files,
            ffree = s.f_ffree,
            bsize = (uint)s.f_bsize,
            namelen = (uint)s.f_namelen,
            frsize = (uint)s.f_frsize,
        });
    }

    private FuseReply Access(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_access_in access, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Access(header.nodeid, (int)(access.mask & 7)));
    }
}
