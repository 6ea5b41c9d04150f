using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Xunit;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Tests.Devices.Fs;

/// <summary>
/// A share of a fresh temporary directory (<see cref="Share"/>, inside <see cref="Outside"/>, which stands for the
/// rest of the host) and the FUSE requests a guest would send it, built byte by byte.
/// </summary>
internal sealed class FuseSession : IDisposable
{
    private readonly FuseServer _server;
    private ulong _unique;

    public FuseSession(bool readOnly = false, int maxFds = 1000, FsCache cache = FsCache.Auto)
    {
        Outside = Directory.CreateTempSubdirectory("glue-fs-").FullName;
        Share = Path.Combine(Outside, "share");
        Directory.CreateDirectory(Share);
        Assert.Equal(0, SharedDirectory.Open(Share, readOnly, maxFds, out var directory));
        Directory_ = directory!;
        _server = new FuseServer(Directory_, cache);
    }

    public string Outside { get; }

    public string Share { get; }

    public SharedDirectory Directory_ { get; }

    public FuseTestRequest Request { get; } = new();

    public void Dispose()
    {
        Directory_.Dispose();
        Directory.Delete(Outside, recursive: true);
    }

    /// <summary>A message: fuse_in_header (len filled in) and its arguments.</summary>
    public static byte[] Message(FuseOpcode op, ulong node, ulong unique, params byte[][] args)
    {
        int length = Unsafe.SizeOf<fuse_in_header>() + args.Sum(a => a.Length);
        var message = new byte[length];
        MemoryMarshal.Write(message, new fuse_in_header { len = (uint)length, opcode = (uint)op, unique = unique, nodeid = node });
        int at = Unsafe.SizeOf<fuse_in_header>();
        foreach (var arg in args)
        {
            arg.CopyTo(message, at);
            at += arg.Length;
        }
        return message;
    }

    public static byte[] Struct<T>(T value) where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    public static byte[] Name(string name) => Encoding.UTF8.GetBytes(name + "\0");

    /// <summary>Sends a raw message; returns the reply header's error and its body (none for FORGET).</summary>
    public (int Error, byte[] Body) SendRaw(byte[] message)
    {
        Request.Load(message);
        var reply = _server.Serve(Request);
        if (reply.Length == 0) return (0, []);
        var header = MemoryMarshal.Read<fuse_out_header>(Request.Reply);
        Assert.Equal(reply.Length, header.len);
        return (header.error, Request.Reply.AsSpan(16, reply.Buffered - 16).ToArray());
    }

    public (int Error, byte[] Body) Send(FuseOpcode op, ulong node, params byte[][] args) => SendRaw(Message(op, node, ++_unique, args));

    public void Init()
    {
        var (error, body) = Send(FUSE_INIT, 0, Struct(new fuse_init_in { major = 7, minor = 37, max_readahead = 1 << 17, flags = uint.MaxValue }), new byte[48]);
        Assert.Equal(0, error);
        Assert.Equal(64, body.Length);
    }

    /// <summary>LOOKUP; the node id, or the negated errno.</summary>
    public (int Error, fuse_entry_out Entry) Lookup(ulong parent, string name) => Entry(Send(FUSE_LOOKUP, parent, Name(name)));

    public static (int Error, fuse_entry_out Entry) Entry((int Error, byte[] Body) reply) =>
        reply.Error != 0 ? (reply.Error, default) : (0, MemoryMarshal.Read<fuse_entry_out>(reply.Body));

    public ulong Node(ulong parent, string name)
    {
        var (error, entry) = Lookup(parent, name);
        Assert.True(error == 0, $"LOOKUP {name}: error {error}");
        return entry.nodeid;
    }

    public (int Error, fuse_entry_out Entry, ulong Handle) Create(ulong parent, string name, uint flags = 0x42 /* O_RDWR|O_CREAT */, uint mode = 0x81a4 /* 0644 */)
    {
        var (error, body) = Send(FUSE_CREATE, parent, Struct(new fuse_create_in { flags = flags, mode = mode }), Name(name));
        if (error != 0) return (error, default, 0);
        return (0, MemoryMarshal.Read<fuse_entry_out>(body), MemoryMarshal.Read<fuse_open_out>(body.AsSpan(128)).fh);
    }

    public (int Error, ulong Handle) Open(ulong node, uint flags)
    {
        var (error, body) = Send(FUSE_OPEN, node, Struct(new fuse_open_in { flags = flags }));
        return error != 0 ? (error, 0) : (0, MemoryMarshal.Read<fuse_open_out>(body).fh);
    }

    public (int Error, uint Written) Write(ulong handle, ulong offset, byte[] data)
    {
        var (error, body) = Send(FUSE_WRITE, 0, Struct(new fuse_write_in { fh = handle, offset = offset, size = (uint)data.Length }), data);
        return error != 0 ? (error, 0) : (0, MemoryMarshal.Read<fuse_write_out>(body).size);
    }

    public (int Error, byte[] Data) Read(ulong handle, ulong offset, uint size)
    {
        Request.Load(Message(FUSE_READ, 0, ++_unique, Struct(new fuse_read_in { fh = handle, offset = offset, size = size })));
        var reply = _server.Serve(Request);
        var header = MemoryMarshal.Read<fuse_out_header>(Request.Reply);
        return header.error != 0 ? (header.error, []) : (0, Request.ReadData.AsSpan(0, (int)reply.Length - 16).ToArray());
    }

    public (int Error, fuse_entry_out Entry) Mkdir(ulong parent, string name, uint mode = 0x1ed /* 0755 */) =>
        Entry(Send(FUSE_MKDIR, parent, Struct(new fuse_mkdir_in { mode = mode }), Name(name)));

    public (int Error, fuse_entry_out Entry) Symlink(ulong parent, string name, string target) =>
        Entry(Send(FUSE_SYMLINK, parent, Name(name), Name(target)));

    public (int Error, fuse_entry_out Entry) Link(ulong node, ulong newParent, string name) =>
        Entry(Send(FUSE_LINK, newParent, Struct(new fuse_link_in { oldnodeid = node }), Name(name)));

    public (int Error, fuse_entry_out Entry) Mknod(ulong parent, string name, uint mode, uint rdev = 0) =>
        Entry(Send(FUSE_MKNOD, parent, Struct(new fuse_mknod_in { mode = mode, rdev = rdev }), Name(name)));

    public int Rename(ulong parent, string from, ulong newParent, string to, uint flags = 0) =>
        Send(FUSE_RENAME2, parent, Struct(new fuse_rename2_in { newdir = newParent, flags = flags }), Name(from), Name(to)).Error;

    public (int Error, fuse_attr Attr) GetAttr(ulong node)
    {
        var (error, body) = Send(FUSE_GETATTR, node, Struct(new fuse_getattr_in()));
        return error != 0 ? (error, default) : (0, MemoryMarshal.Read<fuse_attr_out>(body).attr);
    }

    public void Forget(ulong node, ulong lookups) => Send(FUSE_FORGET, node, Struct(new fuse_forget_in { nlookup = lookups }));

    /// <summary>OPENDIR, READDIR (or READDIRPLUS) until the end, RELEASEDIR: the names, with the node ids READDIRPLUS gave.</summary>
    public List<(string Name, ulong Node)> List(ulong directory, bool plus = false)
    {
        var (error, body) = Send(FUSE_OPENDIR, directory, Struct(new fuse_open_in()));
        Assert.Equal(0, error);
        ulong fh = MemoryMarshal.Read<fuse_open_out>(body).fh;
        var names = new List<(string, ulong)>();
        ulong offset = 0;
        while (true)
        {
            (error, body) = Send(plus ? FUSE_READDIRPLUS : FUSE_READDIR, directory, Struct(new fuse_read_in { fh = fh, offset = offset, size = 4096 }));
            Assert.Equal(0, error);
            if (body.Length == 0) break;
            for (int at = 0; at < body.Length;)
            {
                ulong node = plus ? MemoryMarshal.Read<fuse_entry_out>(body.AsSpan(at)).nodeid : 0;
                if (plus) at += 128;
                var dirent = MemoryMarshal.Read<fuse_dirent>(body.AsSpan(at));
                names.Add((Encoding.UTF8.GetString(body, at + 24, (int)dirent.namelen), node));
                offset = dirent.off;
                at += (24 + (int)dirent.namelen + 7) & ~7;
            }
        }
        Assert.Equal(0, Send(FUSE_RELEASEDIR, directory, Struct(new fuse_release_in { fh = fh })).Error);
        return names;
    }
}
