using System.Runtime.CompilerServices;
using Glue.Devices.Fs.Fuse;
using static Glue.Core.Interop.Libc;

namespace Glue.Tests.Devices.Fs;

/// <summary>
/// A FUSE request carried by plain byte arrays, for driving <see cref="FuseServer"/> without virtio: the message as a
/// guest would send it, WRITE's data in a pinned array, READ's data landing in another.
/// </summary>
internal sealed unsafe class FuseTestRequest : FuseRequest
{
    private readonly byte[] _data = GC.AllocateArray<byte>(2 << 20, pinned: true);
    private int _dataLength;

    /// <summary>Where READ's data lands (after the 16-byte reply header, as in a real reply).</summary>
    public byte[] ReadData { get; } = GC.AllocateArray<byte>(2 << 20, pinned: true);

    /// <summary>What the requester's writable buffers hold; a test shrinks it to see a reply that does not fit.</summary>
    public ulong Room { get; set; } = 2 << 20;

    public override ulong ReplyRoom => Room;

    /// <summary>Takes <paramref name="message"/> as a transport would: the header and arguments copied, WRITE's data left aside.</summary>
    public void Load(ReadOnlySpan<byte> message)
    {
        RequestBytes = (ulong)message.Length;
        int copy = FuseServer.BytesToCopy(message, RequestBytes);
        message[..copy].CopyTo(Input);
        InputLength = copy;
        _dataLength = message.Length - copy;
        message[copy..].CopyTo(_data);
    }

    public override int DataVectors(IoVec* vectors, int max, ulong bytes)
    {
        if (max == 0) return 0;
        vectors[0] = new IoVec { iov_base = Unsafe.AsPointer(ref _data[0]), iov_len = (nuint)Math.Min(bytes, (ulong)_dataLength) };
        return 1;
    }

    public override int ReplyVectors(ulong skip, IoVec* vectors, int max, ulong bytes)
    {
        if (max == 0) return 0;
        vectors[0] = new IoVec { iov_base = Unsafe.AsPointer(ref ReadData[0]), iov_len = (nuint)Math.Min(bytes, (ulong)ReadData.Length) };
        return 1;
    }
}
