using System.Runtime.InteropServices;
using System.Text;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Glue.Fuzz.Targets;
using Microsoft.Win32.SafeHandles;
using Xunit;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Tests.Devices.Fs;

/// <summary>
/// A hostile guest's tricks to reach the host outside the share, each sent as the FUSE requests it takes: each is
/// refused, and the host file it aimed at (<c>secret</c>, beside the share) is neither changed nor read: inotify on
/// the folder around the share sees no open, read, write or new name there but the share's own, and the secret keeps
/// its text and its one link. The process holds an fd on the secret throughout, as glue holds its disk images, for
/// /proc/self/fd to aim at.
/// </summary>
public sealed class FuseConfinementTests : IDisposable
{
    private const ulong Root = FuseConstants.FUSE_ROOT_ID;
    private const string SecretText = "the host's own file";
    private readonly FuseSession _fs = new();
    private readonly string _secret;
    private readonly SafeFileHandle _heldSecret;
    private readonly HostWatch _outside;

    public FuseConfinementTests()
    {
        _fs.Init();
        _secret = Path.Combine(_fs.Outside, "secret");
        File.WriteAllText(_secret, SecretText);
        _heldSecret = File.OpenHandle(_secret);
        _outside = new HostWatch(_fs.Outside);
    }

    public void Dispose()
    {
        var touched = _outside.Drain().Where(e => !e.StartsWith(_fs.Share + " ", StringComparison.Ordinal)).ToList();
        _outside.Dispose();
        _heldSecret.Dispose();
        Assert.True(touched.Count == 0, $"touched outside the share: {string.Join(", ", touched)}");
        Assert.Equal(SecretText, File.ReadAllText(_secret));
        Assert.Equal(1, HardLinks(_secret));
        _fs.Dispose();
    }

    /// <summary>rename(2) itself: .NET's moves look at what a symlink points to.</summary>
    private static unsafe void Rename(string from, string to)
    {
        var a = Encoding.UTF8.GetBytes(from + "\0");
        var b = Encoding.UTF8.GetBytes(to + "\0");
        fixed (byte* pa = a, pb = b) Assert.Equal(0, HostCalls.RenameAt2(HostCalls.AT_FDCWD, pa, HostCalls.AT_FDCWD, pb, 0));
    }

    private static unsafe int HardLinks(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        HostCalls.Stat status;
        fixed (byte* p = bytes) Assert.Equal(0, HostCalls.FstatAt(HostCalls.AT_FDCWD, p, &status, HostCalls.AT_SYMLINK_NOFOLLOW));
        return (int)status.st_nlink;
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../secret")]
    [InlineData("/etc/passwd")]
    [InlineData("a/b")]
    [InlineData("/proc/self/fd/3")]
    [InlineData("")]
    public void A_name_that_is_not_one_component_is_refused(string name) =>
        Assert.Equal(-Errno.EINVAL, _fs.Lookup(Root, name).Error);

    [Theory]
    [InlineData("..")]
    [InlineData("../secret")]
    [InlineData("/proc/self/fd/3")]
    public void A_name_that_is_not_one_component_is_refused_by_every_request_that_takes_a_name(string name)
    {
        _fs.Create(Root, "f");
        ulong f = _fs.Node(Root, "f");
        Assert.Equal(-Errno.EINVAL, _fs.Create(Root, name).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Mkdir(Root, name).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Mknod(Root, name, 0x8000 | 0x1a4).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Symlink(Root, name, "f").Error);
        Assert.Equal(-Errno.EINVAL, _fs.Link(f, Root, name).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Rename(Root, "f", Root, name));
        Assert.Equal(-Errno.EINVAL, _fs.Rename(Root, name, Root, "g"));
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_UNLINK, Root, FuseSession.Name(name)).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_RMDIR, Root, FuseSession.Name(name)).Error);
        Assert.Equal(["f"], Directory.GetFileSystemEntries(_fs.Share).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("/proc/self/fd/HELD")]
    [InlineData("/proc/self/root")]
    [InlineData("/proc/self/cwd")]
    [InlineData("/proc/thread-self/fd/HELD")]
    public void A_symlink_to_a_proc_magic_link_is_a_plain_link_and_reaches_nothing(string target)
    {
        // The process holds the secret open, so /proc/self/fd/N names it: a magic link the host would follow to the file.
        target = target.Replace("HELD", _heldSecret.DangerousGetHandle().ToString());
        var (error, link) = _fs.Symlink(Root, "magic", target);
        Assert.Equal(0, error);
        Assert.Equal(target, Encoding.UTF8.GetString(_fs.Send(FUSE_READLINK, link.nodeid).Body));
        Assert.Equal(-Errno.EACCES, _fs.Open(link.nodeid, 0).Error);
        Assert.Equal(-Errno.ENOTDIR, _fs.Lookup(link.nodeid, "secret").Error);
        Assert.Equal(-Errno.ELOOP, _fs.Create(Root, "magic", 0x241 /* O_WRONLY|O_CREAT|O_TRUNC */).Error);
        var truncate = new fuse_setattr_in { valid = FuseConstants.FATTR_SIZE, size = 0 };
        Assert.NotEqual(0, _fs.Send(FUSE_SETATTR, link.nodeid, FuseSession.Struct(truncate)).Error);
        var (linkError, hard) = _fs.Link(link.nodeid, Root, "hard");
        Assert.Equal(0, linkError);
        Assert.Equal(HostCalls.S_IFLNK, hard.attr.mode & HostCalls.S_IFMT);
        Assert.Equal(0, _fs.Rename(Root, "magic", Root, "renamed"));
        Assert.Equal(target, new FileInfo(Path.Combine(_fs.Share, "renamed")).LinkTarget);
    }

    [Fact]
    public void A_hard_link_can_only_name_a_node_of_the_share()
    {
        // The guest names the node to link by id: the root and unknown ids are refused, and a hard link in the share to
        // a file outside is only ever the host's own doing (then it is a file of the share like any other).
        Assert.Equal(-Errno.EPERM, _fs.Link(Root, Root, "root").Error);
        Assert.Equal(-Errno.EBADF, _fs.Link(0, Root, "zero").Error);
        Assert.Equal(-Errno.EBADF, _fs.Link(ulong.MaxValue, Root, "max").Error);
        ulong d = _fs.Mkdir(Root, "d").Entry.nodeid;
        Assert.Equal(-Errno.EPERM, _fs.Link(d, Root, "d2").Error);
        Assert.Equal(-Errno.EBADF, _fs.Link(d + 1000, Root, "next").Error);
        Assert.Equal(["d"], Directory.GetFileSystemEntries(_fs.Share).Select(Path.GetFileName));
    }

    [Fact]
    public void A_name_longer_than_name_max_is_refused() =>
        Assert.Equal(-Errno.ENAMETOOLONG, _fs.Lookup(Root, new string('a', 300)).Error);

    [Theory]
    [InlineData("ABSOLUTE")]
    [InlineData("../secret")]
    [InlineData("../../../../../../..")]
    public void A_symlink_pointing_out_is_a_link_and_is_never_followed(string target)
    {
        target = target == "ABSOLUTE" ? _secret : target;
        var (error, link) = _fs.Symlink(Root, "l", target);
        Assert.Equal(0, error);
        // READLINK gives the text back; opening, looking beneath, creating over or truncating through it is refused.
        Assert.Equal(target, Encoding.UTF8.GetString(_fs.Send(FUSE_READLINK, link.nodeid).Body));
        Assert.Equal(-Errno.EACCES, _fs.Open(link.nodeid, 0).Error);
        Assert.Equal(-Errno.EACCES, _fs.Open(link.nodeid, 0x201 /* O_WRONLY|O_TRUNC */).Error);
        Assert.Equal(-Errno.ENOTDIR, _fs.Lookup(link.nodeid, "secret").Error);
        Assert.Equal(-Errno.ENOTDIR, _fs.Create(link.nodeid, "new").Error);
        Assert.Equal(-Errno.ELOOP, _fs.Create(Root, "l", 0x241 /* O_WRONLY|O_CREAT|O_TRUNC */).Error);
        var truncate = new fuse_setattr_in { valid = FuseConstants.FATTR_SIZE, size = 0 };
        Assert.NotEqual(0, _fs.Send(FUSE_SETATTR, link.nodeid, FuseSession.Struct(truncate)).Error);
        var chmod = new fuse_setattr_in { valid = FuseConstants.FATTR_MODE, mode = 0x81ff };
        Assert.NotEqual(0, _fs.Send(FUSE_SETATTR, link.nodeid, FuseSession.Struct(chmod)).Error);
        Assert.Equal(HostCalls.S_IFLNK, _fs.GetAttr(link.nodeid).Attr.mode & HostCalls.S_IFMT);
    }

    [Fact]
    public void A_symlink_to_a_directory_outside_cannot_be_entered()
    {
        ulong link = _fs.Symlink(Root, "out", _fs.Outside).Entry.nodeid;
        Assert.Equal(-Errno.ENOTDIR, _fs.Lookup(link, "secret").Error);
        Assert.Equal(-Errno.ENOTDIR, _fs.Mkdir(link, "d").Error);
        Assert.Equal(-Errno.ENOTDIR, _fs.Symlink(link, "s", "x").Error);
        _fs.Create(Root, "f");
        Assert.Equal(-Errno.ENOTDIR, _fs.Rename(Root, "f", link, "secret"));
        Assert.Equal(-Errno.ENOTDIR, _fs.Send(FUSE_OPENDIR, link, FuseSession.Struct(new fuse_open_in())).Error);
        Assert.False(File.Exists(Path.Combine(_fs.Outside, "d")));
    }

    [Fact]
    public void A_hard_link_to_a_symlink_pointing_out_links_the_symlink_not_its_target()
    {
        ulong link = _fs.Symlink(Root, "l", _secret).Entry.nodeid;
        var (error, hard) = _fs.Link(link, Root, "hard");
        Assert.Equal(0, error);
        Assert.Equal(HostCalls.S_IFLNK, hard.attr.mode & HostCalls.S_IFMT);
        Assert.Equal(_secret, new FileInfo(Path.Combine(_fs.Share, "hard")).LinkTarget);
    }

    [Fact]
    public void A_directory_swapped_for_a_symlink_between_lookups_is_met_as_the_symlink()
    {
        ulong d = _fs.Mkdir(Root, "d").Entry.nodeid;
        // The host (or a second guest request) swaps d for a symlink to the outside.
        Directory.Move(Path.Combine(_fs.Share, "d"), Path.Combine(_fs.Share, "d.moved"));
        File.CreateSymbolicLink(Path.Combine(_fs.Share, "d"), _fs.Outside);
        // The node held before still names the directory it was (now d.moved), never the path.
        Assert.Equal(-Errno.ENOENT, _fs.Lookup(d, "secret").Error);
        var (error, swapped) = _fs.Lookup(Root, "d");
        Assert.Equal(0, error);
        Assert.Equal(HostCalls.S_IFLNK, swapped.attr.mode & HostCalls.S_IFMT);
        Assert.Equal(-Errno.ENOTDIR, _fs.Lookup(swapped.nodeid, "secret").Error);
    }

    [Fact]
    public async Task A_rename_race_swapping_a_directory_for_a_symlink_never_reaches_outside()
    {
        string d = Path.Combine(_fs.Share, "d");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "secret"), "inside");
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            // Flip d between the real directory and a symlink to the outside, as fast as the host can.
            string real = Path.Combine(_fs.Share, "d.real"), link = Path.Combine(_fs.Share, "d.link");
            File.CreateSymbolicLink(link, _fs.Outside);
            while (!stop.IsCancellationRequested)
            {
                Rename(d, real);
                Rename(link, d);
                Rename(d, link);
                Rename(real, d);
            }
        });
        int reached = 0, opened = 0;
        for (int i = 0; i < 3000; i++)
        {
            var (error, dir) = _fs.Lookup(Root, "d");
            if (error != 0) continue;
            var (lookupError, file) = _fs.Lookup(dir.nodeid, "secret");
            if (lookupError == 0)
            {
                reached++;
                var (openError, fh) = _fs.Open(file.nodeid, 0);
                if (openError == 0)
                {
                    opened++;
                    Assert.Equal("inside", Encoding.ASCII.GetString(_fs.Read(fh, 0, 100).Data));
                    _fs.Send(FUSE_RELEASE, 0, FuseSession.Struct(new fuse_release_in { fh = fh }));
                }
                _fs.Forget(file.nodeid, 1);
            }
            _fs.Forget(dir.nodeid, 1);
        }
        stop.Cancel();
        await swapper;
        Assert.True(reached > 0, "the race never found the real directory; the test proved nothing");
        Assert.True(opened > 0);
    }

    [Theory]
    [InlineData(0x2000u)]   // S_IFCHR
    [InlineData(0x6000u)]   // S_IFBLK
    public void Mknod_of_a_device_node_is_refused(uint kind)
    {
        Assert.Equal(-Errno.EPERM, _fs.Mknod(Root, "dev", kind | 0x1b6, rdev: 0x0103 /* 1:3, /dev/null */).Error);
        Assert.False(File.Exists(Path.Combine(_fs.Share, "dev")));
    }

    [Fact]
    public void A_fifo_is_made_but_never_opened()
    {
        var (error, fifo) = _fs.Mknod(Root, "fifo", 0x1000 | 0x1b6);
        Assert.Equal(0, error);
        Assert.Equal(-Errno.EACCES, _fs.Open(fifo.nodeid, 0).Error);
    }

    [Fact]
    public async Task Create_over_an_existing_fifo_is_refused_without_opening_it()
    {
        // CREATE without O_EXCL used to open whatever had the name, and opening a FIFO waits for the other end, holding a
        // request worker for good (a few such and the device answers nothing).
        Assert.Equal(0, _fs.Mknod(Root, "fifo", 0x1000 | 0x1b6).Error);
        var create = Task.Run(() => _fs.Create(Root, "fifo", flags: 0x41 /* O_WRONLY|O_CREAT */).Error);
        Assert.Same(create, await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Equal(-Errno.EACCES, await create);
        Assert.Equal(-Errno.EACCES, _fs.Create(Root, "fifo", flags: 0x40 /* O_RDONLY|O_CREAT */).Error);
    }

    [Fact]
    public void Create_over_an_existing_file_opens_it_and_leaves_its_mode()
    {
        string path = Path.Combine(_fs.Share, "f");
        File.WriteAllText(path, "kept");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (error, entry, fh) = _fs.Create(Root, "f", flags: 0x42 /* O_RDWR|O_CREAT */, mode: 0x81ff /* 0777 */);
        Assert.Equal(0, error);
        Assert.Equal("kept", Encoding.ASCII.GetString(_fs.Read(fh, 0, 100).Data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(-Errno.EEXIST, _fs.Create(Root, "f", flags: 0xc2 /* O_RDWR|O_CREAT|O_EXCL */).Error);
        Assert.Equal(_fs.Node(Root, "f"), entry.nodeid);
        Assert.Equal(0, _fs.Mkdir(Root, "d").Error);
        Assert.Equal(-Errno.EISDIR, _fs.Create(Root, "d", flags: 0x41 /* O_WRONLY|O_CREAT */).Error);
    }

    [Fact]
    public void Unknown_and_forgotten_node_ids_are_ebadf()
    {
        foreach (ulong id in new ulong[] { 0, 2, 12345, ulong.MaxValue })
        {
            Assert.Equal(-Errno.EBADF, _fs.GetAttr(id).Error);
            Assert.Equal(-Errno.EBADF, _fs.Lookup(id, "x").Error);
            Assert.Equal(-Errno.EBADF, _fs.Open(id, 0).Error);
            Assert.Equal(-Errno.EBADF, _fs.Link(id, Root, "x").Error);
        }
        ulong f = _fs.Create(Root, "f").Entry.nodeid;
        _fs.Forget(f, 1);
        Assert.Equal(-Errno.EBADF, _fs.GetAttr(f).Error);
        Assert.Equal(-Errno.EBADF, _fs.Read(999, 0, 10).Error);
        Assert.Equal(-Errno.EBADF, _fs.Write(999, 0, [1]).Error);
    }

    [Fact]
    public void Past_the_fd_limit_lookups_get_emfile_and_a_forget_makes_room()
    {
        using var small = new FuseSession(maxFds: 20);
        small.Init();
        for (int i = 0; i < 30; i++) File.WriteAllText(Path.Combine(small.Share, $"f{i}"), "");
        var nodes = Enumerable.Range(0, 20).Select(i => small.Node(Root, $"f{i}")).ToList();
        Assert.Equal(-Errno.EMFILE, small.Lookup(Root, "f20").Error);
        Assert.Equal(-Errno.EMFILE, small.Open(nodes[0], 0).Error);
        Assert.Equal(20, small.Directory_.Budget.Held);
        small.Forget(nodes[1], 1);
        Assert.Equal(0, small.Lookup(Root, "f20").Error);
        Assert.Equal(0, small.Node(Root, "f0") == nodes[0] ? 0 : 1);   // a second lookup of a held node takes no fd
    }

    [Fact]
    public void A_hundred_thousand_lookups_without_forget_hold_one_node()
    {
        File.WriteAllText(Path.Combine(_fs.Share, "f"), "");
        ulong first = _fs.Node(Root, "f");
        for (int i = 1; i < 100_000; i++) Assert.Equal(first, _fs.Lookup(Root, "f").Entry.nodeid);
        Assert.Equal(1, _fs.Directory_.NodeCount);
        _fs.Forget(first, 99_999);
        Assert.Equal(0, _fs.GetAttr(first).Error);
        _fs.Forget(first, 1);
        Assert.Equal(0, _fs.Directory_.NodeCount);
    }
}
