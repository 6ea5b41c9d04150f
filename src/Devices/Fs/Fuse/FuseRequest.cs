using static Glue.Core.Interop.Libc;

namespace Glue.Devices.Fs.Fuse;

/// <summary>
/// One FUSE request as the server sees it, whatever carried it (a virtqueue chain, a test): the header and its
/// arguments copied into <see cref="Input"/>, the reply built in <see cref="Reply"/>, and, for READ and WRITE, the
/// requester's own buffers as iovecs, so file data moves between them and the host file with no copy in between.
/// Made once and used for many requests: nothing here is allocated per request.
/// </summary>
public abstract unsafe class FuseRequest
{
    /// <summary>
    /// The largest header and arguments the server takes: SYMLINK's are the longest it implements (a name of up to
    /// 256 bytes and a target of up to PATH_MAX). WRITE's data are not copied.
    /// </summary>
    public const int InputCapacity = 8192;

    /// <summary>The largest reply the server builds itself: READDIR, READDIRPLUS and READLINK ask for a page or a few.</summary>
    public const int ReplyCapacity = 65536;

    /// <summary>The header and arguments; <see cref="InputLength"/> bytes of it are the request's.</summary>
    public byte[] Input { get; } = new byte[InputCapacity];

    public int InputLength { get; set; }

    /// <summary>Every byte the request carries, data included: what its header's len must say.</summary>
    public ulong RequestBytes { get; set; }

    /// <summary>The reply as the server builds it; the transport sends its first bytes (<see cref="FuseReply.Buffered"/>).</summary>
    public byte[] Reply { get; } = new byte[ReplyCapacity];

    /// <summary>Room for a directory's host entries while READDIR turns them into FUSE's.</summary>
    public byte[] Scratch { get; } = new byte[ReplyCapacity];

    /// <summary>Bytes the requester can take in its reply.</summary>
    public abstract ulong ReplyRoom { get; }

    /// <summary>
    /// Fills <paramref name="vectors"/> with the request's bytes from <see cref="InputLength"/> on (WRITE's data), at
    /// most <paramref name="bytes"/>; returns how many vectors it used.
    /// </summary>
    public abstract int DataVectors(IoVec* vectors, int max, ulong bytes);

    /// <summary>
    /// Fills <paramref name="vectors"/> with the requester's reply buffers from byte <paramref name="skip"/> on (READ's
    /// data, after the reply header), at most <paramref name="bytes"/>; returns how many vectors it used.
    /// </summary>
    public abstract int ReplyVectors(ulong skip, IoVec* vectors, int max, ulong bytes);
}

/// <summary>
/// What to send back: <see cref="Length"/> bytes in all (the reply header's len), of which the first
/// <see cref="Buffered"/> are in <see cref="FuseRequest.Reply"/> and the rest already in the requester's buffers
/// (READ's data). A length of 0 means no reply (FORGET, BATCH_FORGET).
/// </summary>
public readonly record struct FuseReply(uint Length, int Buffered)
{
    public static readonly FuseReply None = new(0, 0);
}
