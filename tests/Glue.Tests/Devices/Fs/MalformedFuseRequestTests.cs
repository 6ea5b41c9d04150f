using System.Runtime.InteropServices;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Xunit;
using static Glue.Devices.Fs.Fuse.FuseOpcode;

namespace Glue.Tests.Devices.Fs;

/// <summary>FUSE messages a guest gets wrong, or makes wrong on purpose: each is answered (or dropped) and the server goes on.</summary>
public sealed class MalformedFuseRequestTests : IDisposable
{
    private const ulong Root = FuseConstants.FUSE_ROOT_ID;
    private readonly FuseSession _fs = new();

    public MalformedFuseRequestTests() => _fs.Init();

    public void Dispose()
    {
        // Whatever came before, the server still answers.
        Assert.Equal(0, _fs.GetAttr(Root).Error);
        _fs.Dispose();
    }

    [Fact]
    public void A_message_shorter_than_its_header_gets_no_reply() => Assert.Equal((0, 0), _fs.SendRaw(new byte[20]) is var r ? (r.Error, r.Body.Length) : default);

    [Theory]
    [InlineData(0u)]
    [InlineData(39u)]
    [InlineData(1000u)]
    [InlineData(uint.MaxValue)]
    public void A_header_whose_len_is_not_the_message_length_is_einval(uint len)
    {
        var message = FuseSession.Message(FUSE_LOOKUP, Root, 7, FuseSession.Name("x"));
        MemoryMarshal.Write(message, len);
        Assert.Equal(-Errno.EINVAL, _fs.SendRaw(message).Error);
    }

    [Fact]
    public void A_name_without_its_nul_is_einval()
    {
        File.WriteAllText(Path.Combine(_fs.Share, "x"), "");
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_LOOKUP, Root, "x"u8.ToArray()).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_MKDIR, Root, FuseSession.Struct(new fuse_mkdir_in { mode = 0x1ed }), "d"u8.ToArray()).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_SYMLINK, Root, FuseSession.Name("l"), "target"u8.ToArray()).Error);
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_RENAME, Root, FuseSession.Struct(new fuse_rename_in { newdir = Root }), FuseSession.Name("x"), "y"u8.ToArray()).Error);
        Assert.True(File.Exists(Path.Combine(_fs.Share, "x")));
    }

    [Theory]
    [InlineData(FUSE_SETATTR)]
    [InlineData(FUSE_OPEN)]
    [InlineData(FUSE_READ)]
    [InlineData(FUSE_WRITE)]
    [InlineData(FUSE_CREATE)]
    [InlineData(FUSE_INIT)]
    [InlineData(FUSE_COPY_FILE_RANGE)]
    [InlineData(FUSE_READDIRPLUS)]
    public void Arguments_cut_short_are_einval(FuseOpcode op) => Assert.Equal(-Errno.EINVAL, _fs.Send(op, Root, new byte[3]).Error);

    [Fact]
    public void A_write_whose_size_disagrees_with_its_data_is_einval()
    {
        var (_, _, fh) = _fs.Create(Root, "f");
        var write = new fuse_write_in { fh = fh, size = 100 };
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_WRITE, 0, FuseSession.Struct(write), new byte[50]).Error);
        write.size = uint.MaxValue;
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_WRITE, 0, FuseSession.Struct(write), new byte[50]).Error);
        Assert.Equal(0, new FileInfo(Path.Combine(_fs.Share, "f")).Length);
    }

    [Fact]
    public void Huge_sizes_are_cut_to_what_the_server_and_the_requester_take()
    {
        var (_, _, fh) = _fs.Create(Root, "f");
        _fs.Write(fh, 0, new byte[5000]);
        Assert.Equal(5000, _fs.Read(fh, 0, uint.MaxValue).Data.Length);
        var (opened, body) = _fs.Send(FUSE_OPENDIR, Root, FuseSession.Struct(new fuse_open_in()));
        ulong dir = MemoryMarshal.Read<fuse_open_out>(body).fh;
        var (error, entries) = _fs.Send(FUSE_READDIR, Root, FuseSession.Struct(new fuse_read_in { fh = dir, size = uint.MaxValue }));
        Assert.Equal((0, 0), (opened, error));
        Assert.True(entries.Length < FuseRequest.ReplyCapacity);
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_READ, 0, FuseSession.Struct(new fuse_read_in { fh = fh, offset = ulong.MaxValue, size = 10 })).Error);
    }

    [Fact]
    public void A_batch_forget_claiming_more_entries_than_it_carries_forgets_only_those_it_carries()
    {
        File.WriteAllText(Path.Combine(_fs.Share, "a"), "");
        File.WriteAllText(Path.Combine(_fs.Share, "b"), "");
        ulong a = _fs.Node(Root, "a"), b = _fs.Node(Root, "b");
        var (error, body) = _fs.Send(FUSE_BATCH_FORGET, 0, FuseSession.Struct(new fuse_batch_forget_in { count = 1_000_000 }),
            FuseSession.Struct(new fuse_forget_one { nodeid = a, nlookup = 1 }), new byte[7]);
        Assert.Equal((0, 0), (error, body.Length));
        Assert.Equal(-Errno.EBADF, _fs.GetAttr(a).Error);
        Assert.Equal(0, _fs.GetAttr(b).Error);
    }

    [Fact]
    public void A_reply_larger_than_the_requester_can_take_is_erange()
    {
        _fs.Request.Room = 20;
        Assert.Equal(-Errno.ERANGE, _fs.Send(FUSE_GETATTR, Root, FuseSession.Struct(new fuse_getattr_in())).Error);
        _fs.Request.Room = 2 << 20;
    }

    [Fact]
    public void Init_of_another_major_version_is_eproto() =>
        Assert.Equal(-Errno.EPROTO, _fs.Send(FUSE_INIT, 0, FuseSession.Struct(new fuse_init_in { major = 8 })).Error);

    [Fact]
    public void A_request_longer_than_the_server_copies_is_einval() =>
        Assert.Equal(-Errno.EINVAL, _fs.Send(FUSE_SYMLINK, Root, FuseSession.Name("l"), new byte[FuseRequest.InputCapacity]).Error);
}
