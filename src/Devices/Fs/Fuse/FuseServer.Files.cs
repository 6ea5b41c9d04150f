using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Devices.Fs.Host;
using static Glue.Core.Interop.Libc;
using static Glue.Devices.Fs.Fuse.FuseConstants;

namespace Glue.Devices.Fs.Fuse;

// The requests on open files and directories: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC, FALLOCATE, LSEEK,
// COPY_FILE_RANGE, OPENDIR, READDIR, READDIRPLUS, RELEASEDIR, FSYNCDIR.
public sealed unsafe partial class FuseServer
{
    /// <summary>The most buffers one READ or WRITE's data may span: a page each (max_pages), and one to spare each side.</summary>
    private const int MaxVectors = MaxPages + 2;

    private FuseReply Open(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_open_in open, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.Open(header.nodeid, (int)open.flags, out ulong handle);
        return errno != 0 ? Error(request, header, errno) : Ok(request, header, OpenOut(handle));
    }

    private FuseReply Create(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_create_in create, out var rest) || !TryName(rest, out var name, out _)) return Error(request, header, Errno.EINVAL);
        int errno = _share.Create(header.nodeid, name, (int)create.flags, create.mode, out ulong node, out var status, out ulong handle);
        if (errno != 0) return Error(request, header, errno);
        // CREATE answers with fuse_entry_out then fuse_open_out.
        Span<byte> body = stackalloc byte[Unsafe.SizeOf<fuse_entry_out>() + Unsafe.SizeOf<fuse_open_out>()];
        MemoryMarshal.Write(body, EntryOut(node, status));
        MemoryMarshal.Write(body[Unsafe.SizeOf<fuse_entry_out>()..], OpenOut(handle));
        return Ok(request, header, body);
    }

    private fuse_open_out OpenOut(ulong handle) => new() { fh = handle, open_flags = _cache.OpenFlags() };

    private FuseReply Read(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_read_in read, out _) || read.offset > long.MaxValue) return Error(request, header, Errno.EINVAL);
        ulong room = request.ReplyRoom < (ulong)OutHeaderSize ? 0 : request.ReplyRoom - (ulong)OutHeaderSize;
        ulong size = Math.Min(Math.Min(read.size, MaxWrite), room);
        var vectors = stackalloc IoVec[MaxVectors];
        int count = request.ReplyVectors((ulong)OutHeaderSize, vectors, MaxVectors, size);
        long done = size == 0 ? 0 : _share.Read(read.fh, (long)read.offset, vectors, count);
        if (done < 0) return Error(request, header, (int)-done);
        // The data is in the requester's buffers already; only the header goes through Reply.
        return Header(request, header, OutHeaderSize + (int)done, 0, OutHeaderSize);
    }

    private FuseReply Write(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_write_in write, out _) || write.offset > long.MaxValue || write.size > MaxWrite) return Error(request, header, Errno.EINVAL);
        // The data follows the arguments, exactly write.size bytes of it.
        if (request.RequestBytes - (ulong)request.InputLength != write.size) return Error(request, header, Errno.EINVAL);
        var vectors = stackalloc IoVec[MaxVectors];
        int count = request.DataVectors(vectors, MaxVectors, write.size);
        long done = write.size == 0 ? 0 : _share.Write(write.fh, (long)write.offset, vectors, count);
        if (done < 0) return Error(request, header, (int)-done);
        return Ok(request, header, new fuse_write_out { size = (uint)done });
    }

    private FuseReply Flush(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_flush_in flush, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Flush(flush.fh));
    }

    private FuseReply Release(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args, bool directory)
    {
        if (!TryArgs(args, out fuse_release_in release, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Release(release.fh, directory));
    }

    private FuseReply Sync(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args, bool directory)
    {
        if (!TryArgs(args, out fuse_fsync_in sync, out _)) return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Sync(sync.fh, directory, (sync.fsync_flags & FUSE_FSYNC_FDATASYNC) != 0));
    }

    private FuseReply Allocate(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_fallocate_in allocate, out _) || allocate.offset > long.MaxValue || allocate.length > long.MaxValue)
            return Error(request, header, Errno.EINVAL);
        return Status(request, header, _share.Allocate(allocate.fh, (int)allocate.mode, (long)allocate.offset, (long)allocate.length));
    }

    private FuseReply Seek(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_lseek_in seek, out _) || seek.offset > long.MaxValue) return Error(request, header, Errno.EINVAL);
        long at = _share.Seek(seek.fh, (long)seek.offset, (int)seek.whence);
        return at < 0 ? Error(request, header, (int)-at) : Ok(request, header, new fuse_lseek_out { offset = (ulong)at });
    }

    private FuseReply CopyRange(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!TryArgs(args, out fuse_copy_file_range_in copy, out _) || copy.flags != 0 || copy.off_in > long.MaxValue || copy.off_out > long.MaxValue)
            return Error(request, header, Errno.EINVAL);
        long done = _share.CopyRange(copy.fh_in, (long)copy.off_in, copy.fh_out, (long)copy.off_out, copy.len);
        return done < 0 ? Error(request, header, (int)-done) : Ok(request, header, new fuse_write_out { size = (uint)done });
    }

    private FuseReply OpenDirectory(FuseRequest request, in fuse_in_header header)
    {
        int errno = _share.OpenDirectory(header.nodeid, out ulong handle);
        return errno != 0 ? Error(request, header, errno) : Ok(request, header, new fuse_open_out { fh = handle });
    }

    /// <summary>
    /// READDIR and READDIRPLUS: the host's entries from the guest's offset on, as many as fit in the size it asked
    /// for. Each entry's off is the host's d_off, so the next request continues where this one stopped. READDIRPLUS
    /// looks each entry up (counting a lookup, as LOOKUP does) only once it is known to fit.
    /// </summary>
    private FuseReply ReadDirectory(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args, bool plus)
    {
        if (!TryArgs(args, out fuse_read_in read, out _) || read.offset > long.MaxValue) return Error(request, header, Errno.EINVAL);
        int limit = (int)Math.Min(Math.Min(read.size, (ulong)(request.Reply.Length - OutHeaderSize)),
            request.ReplyRoom < (ulong)OutHeaderSize ? 0 : request.ReplyRoom - (ulong)OutHeaderSize);
        var host = request.Scratch.AsSpan(0, Math.Min(request.Scratch.Length, Math.Max(limit, 512)));
        long got = _share.ReadEntries(read.fh, (long)read.offset, host);
        if (got < 0) return Error(request, header, (int)-got);

        var body = request.Reply.AsSpan(OutHeaderSize, limit);
        int at = 0;
        int entryOutSize = plus ? Unsafe.SizeOf<fuse_entry_out>() : 0;
        for (int pos = 0; pos + 19 < got;)
        {
            // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, then the NUL-terminated name.
            var record = host[pos..(int)got];
            int reclen = BinaryPrimitives.ReadUInt16LittleEndian(record[16..]);
            if (reclen < 20 || reclen > record.Length) break;
            var name = record[19..reclen];
            name = name[..Math.Max(0, name.IndexOf((byte)0))];
            int size = entryOutSize + Align8(FUSE_NAME_OFFSET + name.Length);
            if (at + size > body.Length) break;
            if (plus) MemoryMarshal.Write(body[at..], PlusEntry(header.nodeid, name));
            MemoryMarshal.Write(body[(at + entryOutSize)..], new fuse_dirent
            {
                ino = BinaryPrimitives.ReadUInt64LittleEndian(record),
                off = BinaryPrimitives.ReadUInt64LittleEndian(record[8..]),
                namelen = (uint)name.Length,
                type = record[18],
            });
            var nameField = body.Slice(at + entryOutSize + FUSE_NAME_OFFSET, size - entryOutSize - FUSE_NAME_OFFSET);
            nameField.Clear();
            name.CopyTo(nameField);
            at += size;
            pos += reclen;
        }
        return Header(request, header, OutHeaderSize + at, 0, OutHeaderSize + at);
    }

    /// <summary>READDIRPLUS's entry for one name: looked up, or a node id of 0 (no lookup counted) for "." and ".." and for a name that vanished.</summary>
    private fuse_entry_out PlusEntry(ulong directory, ReadOnlySpan<byte> name)
    {
        if (name is [(byte)'.'] or [(byte)'.', (byte)'.']) return default;
        return _share.Lookup(directory, name, out ulong node, out var status) == 0 ? EntryOut(node, status) : default;
    }

    private static int Align8(int value) => (value + 7) & ~7;
}
