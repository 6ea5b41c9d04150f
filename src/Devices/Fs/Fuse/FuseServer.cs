using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Devices.Fs.Host;
using static Glue.Devices.Fs.Fuse.FuseConstants;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Devices.Fs.Fuse;

/// <summary>
/// A FUSE file server (include/uapi/linux/fuse.h, protocol 7.37 as Linux 6.1's virtiofs sends it) over one
/// <see cref="SharedDirectory"/>. It parses a request, checks every length and name, asks the share, and builds the
/// reply; it knows nothing of virtio. Serve runs on many threads at once: its state is the share's, which locks.
///
/// Implemented: INIT, DESTROY, LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR,
/// UNLINK, RMDIR, RENAME, RENAME2, LINK, OPEN, READ, WRITE, STATFS, RELEASE, FSYNC, FLUSH, OPENDIR, READDIR,
/// READDIRPLUS, RELEASEDIR, FSYNCDIR, ACCESS, CREATE, FALLOCATE, LSEEK, COPY_FILE_RANGE. Everything else (the
/// xattr calls, locks, IOCTL, POLL, BMAP, TMPFILE, DAX's SETUPMAPPING) is ENOSYS, which Linux remembers and stops sending.
/// </summary>
public sealed unsafe partial class FuseServer
{
    private static readonly int InHeaderSize = Unsafe.SizeOf<fuse_in_header>();
    private static readonly int OutHeaderSize = Unsafe.SizeOf<fuse_out_header>();

    /// <summary>The INIT flags Glue offers; the guest gets those of them it offered too.</summary>
    private const uint OfferedFlags = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO
        | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES | FUSE_CACHE_SYMLINKS | FUSE_INIT_EXT;

    private readonly SharedDirectory _share;
    private readonly FsCache _cache;

    internal FuseServer(SharedDirectory share, FsCache cache = FsCache.Auto)
    {
        _share = share;
        _cache = cache;
    }

    /// <summary>
    /// How many of a request's bytes to copy into <see cref="FuseRequest.Input"/>, given its header: all of them but
    /// WRITE's data, which stays where it is, and at most <see cref="FuseRequest.InputCapacity"/> (a longer request
    /// is then refused by <see cref="Serve"/>, its lengths disagreeing).
    /// </summary>
    public static int BytesToCopy(ReadOnlySpan<byte> header, ulong requestBytes)
    {
        if (!MemoryMarshal.TryRead(header, out fuse_in_header h)) return (int)Math.Min(requestBytes, (ulong)InHeaderSize);
        ulong wanted = h.opcode == (uint)FUSE_WRITE ? (ulong)(InHeaderSize + Unsafe.SizeOf<fuse_write_in>()) : requestBytes;
        return (int)Math.Min(Math.Min(wanted, requestBytes), FuseRequest.InputCapacity);
    }

    /// <summary>Answers one request; the reply is in <paramref name="request"/>'s Reply (and, for READ, its buffers).</summary>
    public FuseReply Serve(FuseRequest request)
    {
        var input = request.Input.AsSpan(0, request.InputLength);
        if (!MemoryMarshal.TryRead(input, out fuse_in_header header)) return FuseReply.None;   // no unique to answer
        var op = (FuseOpcode)header.opcode;
        if (op is FUSE_FORGET or FUSE_BATCH_FORGET)
        {
            Forget(op, header, input[InHeaderSize..]);
            return FuseReply.None;
        }
        // The header's len is every byte of the request; a request whose arguments were cut short is refused whole.
        if (header.len != request.RequestBytes || (op != FUSE_WRITE && (ulong)input.Length != request.RequestBytes))
            return Error(request, header, Errno.EINVAL);
        var args = input[InHeaderSize..];
        return op switch
        {
            FUSE_INIT => Init(request, header, args),
            FUSE_DESTROY => Destroy(request, header),
            FUSE_LOOKUP => Lookup(request, header, args),
            FUSE_GETATTR => GetAttr(request, header, args),
            FUSE_SETATTR => SetAttr(request, header, args),
            FUSE_READLINK => ReadLink(request, header),
            FUSE_SYMLINK => Symlink(request, header, args),
            FUSE_MKNOD => MakeNode(request, header, args),
            FUSE_MKDIR => MakeDirectory(request, header, args),
            FUSE_UNLINK => Remove(request, header, args, directory: false),
            FUSE_RMDIR => Remove(request, header, args, directory: true),
            FUSE_RENAME => Rename(request, header, args),
            FUSE_RENAME2 => Rename2(request, header, args),
            FUSE_LINK => Link(request, header, args),
            FUSE_STATFS => StatFs(request, header),
            FUSE_ACCESS => Access(request, header, args),
            FUSE_OPEN => Open(request, header, args),
            FUSE_CREATE => Create(request, header, args),
            FUSE_READ => Read(request, header, args),
            FUSE_WRITE => Write(request, header, args),
            FUSE_FLUSH => Flush(request, header, args),
            FUSE_RELEASE => Release(request, header, args, directory: false),
            FUSE_FSYNC => Sync(request, header, args, directory: false),
            FUSE_FALLOCATE => Allocate(request, header, args),
            FUSE_LSEEK => Seek(request, header, args),
            FUSE_COPY_FILE_RANGE => CopyRange(request, header, args),
            FUSE_OPENDIR => OpenDirectory(request, header),
            FUSE_READDIR => ReadDirectory(request, header, args, plus: false),
            FUSE_READDIRPLUS => ReadDirectory(request, header, args, plus: true),
            FUSE_RELEASEDIR => Release(request, header, args, directory: true),
            FUSE_FSYNCDIR => Sync(request, header, args, directory: true),
            _ => Error(request, header, Errno.ENOSYS),
        };
    }

    private FuseReply Init(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (!MemoryMarshal.TryRead(args, out fuse_init_in init)) return Error(request, header, Errno.EINVAL);
        if (init.major != FUSE_KERNEL_VERSION) return Error(request, header, Errno.EPROTO);
        var reply = new fuse_init_out
        {
            major = FUSE_KERNEL_VERSION,
            minor = Math.Min(init.minor, FUSE_KERNEL_MINOR_VERSION),
            max_readahead = init.max_readahead,
            flags = init.flags & OfferedFlags,
            max_background = 64,
            congestion_threshold = 48,
            max_write = MaxWrite,
            time_gran = 1,
            max_pages = MaxPages,
        };
        // Before 7.23 the reply ends at max_write (FUSE_COMPAT_22_INIT_OUT_SIZE).
        return init.minor >= 23 ? Ok(request, header, reply) : Ok(request, header, MemoryMarshal.AsBytes(new ReadOnlySpan<fuse_init_out>(in reply))[..24]);
    }

    /// <summary>DESTROY: the guest unmounted; every node and handle it held is closed.</summary>
    private FuseReply Destroy(FuseRequest request, in fuse_in_header header)
    {
        _share.Clear();
        return Ok(request, header, ReadOnlySpan<byte>.Empty);
    }

    private void Forget(FuseOpcode op, in fuse_in_header header, ReadOnlySpan<byte> args)
    {
        if (op == FUSE_FORGET)
        {
            if (MemoryMarshal.TryRead(args, out fuse_forget_in forget)) _share.Forget(header.nodeid, forget.nlookup);
            return;
        }
        if (!MemoryMarshal.TryRead(args, out fuse_batch_forget_in batch)) return;
        // However many the count claims, only the entries that are there are read.
        var entries = MemoryMarshal.Cast<byte, fuse_forget_one>(args[Unsafe.SizeOf<fuse_batch_forget_in>()..]);
        foreach (var one in entries[..(int)Math.Min(batch.count, (uint)entries.Length)]) _share.Forget(one.nodeid, one.nlookup);
    }

    // ---- Replies.

    /// <summary>A reply of the header and <paramref name="body"/>, or ERANGE when it is more than the requester can take.</summary>
    private static FuseReply Ok(FuseRequest request, in fuse_in_header header, ReadOnlySpan<byte> body)
    {
        int length = OutHeaderSize + body.Length;
        if ((ulong)length > request.ReplyRoom) return Error(request, header, Errno.ERANGE);
        body.CopyTo(request.Reply.AsSpan(OutHeaderSize));
        return Header(request, header, length, 0, length);
    }

    private static FuseReply Ok<T>(FuseRequest request, in fuse_in_header header, in T body) where T : unmanaged =>
        Ok(request, header, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in body)));

    /// <summary>An error reply: the header alone, its error the negated errno.</summary>
    private static FuseReply Error(FuseRequest request, in fuse_in_header header, int errno) =>
        Header(request, header, OutHeaderSize, -errno, OutHeaderSize);

    /// <summary>0 is an empty success, anything else an error.</summary>
    private static FuseReply Status(FuseRequest request, in fuse_in_header header, int errno) =>
        errno == 0 ? Ok(request, header, ReadOnlySpan<byte>.Empty) : Error(request, header, errno);

    private static FuseReply Header(FuseRequest request, in fuse_in_header header, int length, int error, int buffered)
    {
        var reply = new fuse_out_header { len = (uint)length, error = error, unique = header.unique };
        MemoryMarshal.Write(request.Reply, in reply);
        return new FuseReply((uint)length, buffered);
    }

    /// <summary>A NUL-terminated name at the start of <paramref name="args"/>, without its NUL, and what follows it; false when there is no NUL.</summary>
    private static bool TryName(ReadOnlySpan<byte> args, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> rest)
    {
        int end = args.IndexOf((byte)0);
        name = end < 0 ? default : args[..end];
        rest = end < 0 ? default : args[(end + 1)..];
        return end >= 0;
    }

    /// <summary>The struct <typeparamref name="T"/> at the start of <paramref name="args"/> and what follows it.</summary>
    private static bool TryArgs<T>(ReadOnlySpan<byte> args, out T value, out ReadOnlySpan<byte> rest) where T : unmanaged
    {
        rest = args.Length >= Unsafe.SizeOf<T>() ? args[Unsafe.SizeOf<T>()..] : default;
        return MemoryMarshal.TryRead(args, out value);
    }
}
