using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Xunit;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Tests.Devices.Fs;

/// <summary>The FUSE server's operations against a real temporary directory, each checked on the host's side too.</summary>
public sealed class FuseServerTests : IDisposable
{
    private const ulong Root = FuseConstants.FUSE_ROOT_ID;
    private readonly FuseSession _fs = new();

    public FuseServerTests() => _fs.Init();

    public void Dispose() => _fs.Dispose();

    [Fact]
    public void Struct_sizes_are_the_kernels()
    {
        // include/uapi/linux/fuse.h, protocol 7.37.
        Assert.Equal(40, Unsafe.SizeOf<fuse_in_header>());
        Assert.Equal(16, Unsafe.SizeOf<fuse_out_header>());
        Assert.Equal(88, Unsafe.SizeOf<fuse_attr>());
        Assert.Equal(128, Unsafe.SizeOf<fuse_entry_out>());
        Assert.Equal(104, Unsafe.SizeOf<fuse_attr_out>());
        Assert.Equal(64, Unsafe.SizeOf<fuse_init_out>());
        Assert.Equal(88, Unsafe.SizeOf<fuse_setattr_in>());
        Assert.Equal(40, Unsafe.SizeOf<fuse_read_in>());
        Assert.Equal(40, Unsafe.SizeOf<fuse_write_in>());
        Assert.Equal(80, Unsafe.SizeOf<fuse_kstatfs>());
        Assert.Equal(56, Unsafe.SizeOf<fuse_copy_file_range_in>());
        Assert.Equal(32, Unsafe.SizeOf<fuse_fallocate_in>());
        Assert.Equal(144, Unsafe.SizeOf<HostCalls.Stat>());
        Assert.Equal(120, Unsafe.SizeOf<HostCalls.StatFs>());
    }

    [Fact]
    public void Init_answers_7_37_with_what_both_sides_offer()
    {
        var (error, body) = _fs.Send(FUSE_INIT, 0, FuseSession.Struct(new fuse_init_in { major = 7, minor = 37, flags = FuseConstants.FUSE_ASYNC_READ | (1u << 1) }));
        Assert.Equal(0, error);
        var init = MemoryMarshal.Read<fuse_init_out>(body);
        Assert.Equal((7u, 37u), (init.major, init.minor));
        Assert.Equal(FuseConstants.FUSE_ASYNC_READ, init.flags);   // not POSIX_LOCKS, which Glue does not offer
        Assert.Equal(FuseConstants.MaxWrite, init.max_write);
    }

    [Fact]
    public void A_file_created_written_and_read_back_is_the_hosts_file()
    {
        var (error, entry, fh) = _fs.Create(Root, "a.txt");
        Assert.Equal(0, error);
        var data = Encoding.ASCII.GetBytes("hello, virtio-fs");
        Assert.Equal((0, (uint)data.Length), _fs.Write(fh, 0, data));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_fs.Share, "a.txt")));
        var (readError, read) = _fs.Read(fh, 7, 100);
        Assert.Equal(0, readError);
        Assert.Equal(data[7..], read);
        Assert.Equal(entry.nodeid, _fs.Node(Root, "a.txt"));
        Assert.Equal((ulong)data.Length, _fs.GetAttr(entry.nodeid).Attr.size);
        Assert.Equal(0, _fs.Send(FUSE_RELEASE, entry.nodeid, FuseSession.Struct(new fuse_release_in { fh = fh })).Error);
        Assert.Equal(-Errno.EBADF, _fs.Read(fh, 0, 10).Error);
    }

    [Theory]
    [InlineData(FsCache.Never, 0ul, FuseConstants.FOPEN_NOFLUSH | FuseConstants.FOPEN_DIRECT_IO)]
    [InlineData(FsCache.Metadata, 86400ul, FuseConstants.FOPEN_NOFLUSH | FuseConstants.FOPEN_DIRECT_IO)]
    [InlineData(FsCache.Auto, 1ul, FuseConstants.FOPEN_NOFLUSH)]
    [InlineData(FsCache.Always, 86400ul, FuseConstants.FOPEN_NOFLUSH | FuseConstants.FOPEN_KEEP_CACHE)]
    public void Each_cache_mode_gives_its_timeouts_and_open_flags_and_no_flush_on_close(FsCache cache, ulong validSeconds, uint openFlags)
    {
        using var fs = new FuseSession(cache: cache);
        fs.Init();
        var (error, body) = fs.Send(FUSE_CREATE, Root, FuseSession.Struct(new fuse_create_in { flags = 0x42, mode = 0x81a4 }), FuseSession.Name("f"));
        Assert.Equal(0, error);
        var entry = MemoryMarshal.Read<fuse_entry_out>(body);
        Assert.Equal((validSeconds, validSeconds), (entry.entry_valid, entry.attr_valid));
        Assert.Equal(openFlags, MemoryMarshal.Read<fuse_open_out>(body.AsSpan(Unsafe.SizeOf<fuse_entry_out>())).open_flags);
        (error, body) = fs.Send(FUSE_OPEN, entry.nodeid, FuseSession.Struct(new fuse_open_in { flags = 0 }));
        Assert.Equal(0, error);
        Assert.Equal(openFlags, MemoryMarshal.Read<fuse_open_out>(body).open_flags);
        (error, body) = fs.Send(FUSE_GETATTR, entry.nodeid, FuseSession.Struct(new fuse_getattr_in()));
        Assert.Equal(0, error);
        Assert.Equal(validSeconds, MemoryMarshal.Read<fuse_attr_out>(body).attr_valid);
    }

    [Fact]
    public void Files_made_by_the_host_are_looked_up_listed_and_read()
    {
        Directory.CreateDirectory(Path.Combine(_fs.Share, "d"));
        File.WriteAllText(Path.Combine(_fs.Share, "d", "x"), "from the host");
        ulong d = _fs.Node(Root, "d");
        Assert.Equal(["x"], _fs.List(d).Select(e => e.Name).Where(n => n is not ("." or "..")));
        var plus = _fs.List(d, plus: true).Single(e => e.Name == "x");
        Assert.Equal(plus.Node, _fs.Node(d, "x"));
        var (error, fh) = _fs.Open(plus.Node, 0);
        Assert.Equal(0, error);
        Assert.Equal("from the host", Encoding.ASCII.GetString(_fs.Read(fh, 0, 4096).Data));
    }

    [Fact]
    public void A_directory_of_many_entries_is_listed_in_full_across_requests()
    {
        for (int i = 0; i < 500; i++) File.WriteAllText(Path.Combine(_fs.Share, $"file-{i:D4}"), "");
        var names = _fs.List(Root).Select(e => e.Name).Where(n => n.StartsWith("file-", StringComparison.Ordinal)).ToList();
        Assert.Equal(500, names.Count);
        Assert.Equal(500, names.Distinct().Count());
    }

    [Fact]
    public void Mkdir_rename_over_a_file_link_unlink_and_rmdir_change_the_host_directory()
    {
        ulong d = _fs.Mkdir(Root, "d").Entry.nodeid;
        Assert.True(Directory.Exists(Path.Combine(_fs.Share, "d")));
        _fs.Create(d, "one");
        var (_, two, fh) = _fs.Create(d, "two");
        _fs.Write(fh, 0, "2"u8.ToArray());
        Assert.Equal(0, _fs.Rename(d, "two", d, "one"));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_fs.Share, "d", "one")));
        Assert.Equal(0, _fs.Link(two.nodeid, Root, "hard").Error);
        Assert.Equal(2u, _fs.GetAttr(two.nodeid).Attr.nlink);
        Assert.Equal(0, _fs.Send(FUSE_UNLINK, d, FuseSession.Name("one")).Error);
        Assert.Equal(0, _fs.Send(FUSE_RMDIR, Root, FuseSession.Name("d")).Error);
        Assert.False(Directory.Exists(Path.Combine(_fs.Share, "d")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_fs.Share, "hard")));
        _fs.Create(Root, "other");
        Assert.Equal(-Errno.EEXIST, _fs.Rename(Root, "hard", Root, "other", HostCalls.RENAME_NOREPLACE));
        Assert.Equal(0, _fs.Rename(Root, "hard", Root, "other", HostCalls.RENAME_EXCHANGE));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_fs.Share, "other")));
    }

    [Fact]
    public void A_symlink_is_made_and_read_as_a_link()
    {
        var (error, link) = _fs.Symlink(Root, "l", "some/where/../else");
        Assert.Equal(0, error);
        Assert.Equal("some/where/../else", new FileInfo(Path.Combine(_fs.Share, "l")).LinkTarget);
        var (readError, body) = _fs.Send(FUSE_READLINK, link.nodeid);
        Assert.Equal(0, readError);
        Assert.Equal("some/where/../else", Encoding.UTF8.GetString(body));
        Assert.Equal(HostCalls.S_IFLNK, link.attr.mode & HostCalls.S_IFMT);
    }

    [Fact]
    public void Setattr_changes_mode_size_and_times_and_drops_setuid()
    {
        var (_, entry, _) = _fs.Create(Root, "f");
        var set = new fuse_setattr_in
        {
            valid = FuseConstants.FATTR_MODE | FuseConstants.FATTR_SIZE | FuseConstants.FATTR_MTIME,
            mode = 0x8000 | 0x800 | 0x1c0,   // S_IFREG | S_ISUID | 0700
            size = 12345,
            mtime = 1_000_000_000,
        };
        var (error, body) = _fs.Send(FUSE_SETATTR, entry.nodeid, FuseSession.Struct(set));
        Assert.Equal(0, error);
        var attr = MemoryMarshal.Read<fuse_attr_out>(body).attr;
        Assert.Equal(0x81c0u, attr.mode);
        Assert.Equal(12345ul, attr.size);
        Assert.Equal(1_000_000_000ul, attr.mtime);
        var info = new FileInfo(Path.Combine(_fs.Share, "f"));
        Assert.Equal(12345, info.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, info.UnixFileMode);
    }

    [Fact]
    public void Statfs_lseek_fallocate_fsync_and_copy_file_range_work_on_open_files()
    {
        Assert.Equal(0, _fs.Send(FUSE_STATFS, Root).Error);
        var (_, a, fa) = _fs.Create(Root, "a");
        var (_, _, fb) = _fs.Create(Root, "b");
        _fs.Write(fa, 0, Enumerable.Repeat((byte)7, 10000).ToArray());
        Assert.Equal(0, _fs.Send(FUSE_FALLOCATE, 0, FuseSession.Struct(new fuse_fallocate_in { fh = fb, offset = 0, length = 8192 })).Error);
        Assert.Equal(0, _fs.Send(FUSE_FSYNC, a.nodeid, FuseSession.Struct(new fuse_fsync_in { fh = fa })).Error);
        var (error, body) = _fs.Send(FUSE_COPY_FILE_RANGE, 0, FuseSession.Struct(new fuse_copy_file_range_in { fh_in = fa, fh_out = fb, off_out = 100, len = 10000 }));
        Assert.Equal(0, error);
        Assert.Equal(10000u, MemoryMarshal.Read<fuse_write_out>(body).size);
        Assert.Equal(7, File.ReadAllBytes(Path.Combine(_fs.Share, "b"))[10099]);
        (error, body) = _fs.Send(FUSE_LSEEK, 0, FuseSession.Struct(new fuse_lseek_in { fh = fa, offset = 0, whence = 2 /* SEEK_END */ }));
        Assert.Equal(0, error);
        Assert.Equal(10000ul, MemoryMarshal.Read<fuse_lseek_out>(body).offset);
    }

    [Theory]
    [InlineData(FUSE_GETXATTR)]
    [InlineData(FUSE_SETLK)]
    [InlineData(FUSE_IOCTL)]
    [InlineData(FUSE_SETUPMAPPING)]
    [InlineData((FuseOpcode)9999)]
    public void Unimplemented_and_unknown_opcodes_are_enosys(FuseOpcode op) =>
        Assert.Equal(-Errno.ENOSYS, _fs.Send(op, Root, new byte[64]).Error);

    [Fact]
    public void A_read_only_share_refuses_every_change_with_erofs()
    {
        using var ro = new FuseSession(readOnly: true);
        ro.Init();
        File.WriteAllText(Path.Combine(ro.Share, "f"), "x");
        ulong f = ro.Node(Root, "f");
        Assert.Equal(-Errno.EROFS, ro.Create(Root, "new").Error);
        Assert.Equal(-Errno.EROFS, ro.Mkdir(Root, "d").Error);
        Assert.Equal(-Errno.EROFS, ro.Open(f, 1 /* O_WRONLY */).Error);
        Assert.Equal(-Errno.EROFS, ro.Rename(Root, "f", Root, "g"));
        Assert.Equal(-Errno.EROFS, ro.Send(FUSE_UNLINK, Root, FuseSession.Name("f")).Error);
        Assert.Equal(0, ro.Open(f, 0).Error);
        Assert.Equal("x", File.ReadAllText(Path.Combine(ro.Share, "f")));
    }
}
