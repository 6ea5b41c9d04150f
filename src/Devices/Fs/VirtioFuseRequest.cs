using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Devices.Fs.Fuse;
using Glue.Virtio.Split;
using static Glue.Core.Interop.Libc;

namespace Glue.Devices.Fs;

/// <summary>
/// A FUSE request carried by a virtio-fs chain (virtio 1.2 §5.11.6): the device-readable buffers hold
/// fuse_in_header, the arguments and WRITE's data; the device-writable ones take fuse_out_header and the reply.
/// The chain is held (<see cref="HeldChain"/>) while a worker serves it; READ and WRITE data go straight between its
/// buffers and the host file.
/// </summary>
internal sealed unsafe class VirtioFuseRequest(GuestMemory memory, int maxSegments) : FuseRequest
{
    private readonly HeldChain _chain = new(memory, maxSegments);

    public ushort Head => _chain.Head;

    public override ulong ReplyRoom => _chain.Writer.Length;

    /// <summary>Takes over a chain just popped and copies its header and arguments (not WRITE's data).</summary>
    public void Load(DescriptorChain chain)
    {
        _chain.Load(chain);
        var reader = _chain.Reader;
        RequestBytes = reader.Length;
        int header = reader.Read(Input.AsSpan(0, Unsafe.SizeOf<fuse_in_header>()));
        int wanted = FuseServer.BytesToCopy(Input.AsSpan(0, header), RequestBytes);
        InputLength = header + reader.Read(Input.AsSpan(header, Math.Max(0, wanted - header)));
    }

    /// <summary>Writes the reply's buffered bytes at the start of the writable buffers; returns the used length (§2.7.8).</summary>
    public uint Complete(FuseReply reply)
    {
        var writer = _chain.Writer;
        writer.Write(Reply.AsSpan(0, reply.Buffered));
        return (uint)Math.Min(reply.Length, writer.Length);
    }

    public override int DataVectors(IoVec* vectors, int max, ulong bytes) =>
        Vectors(_chain.Readable, (ulong)InputLength, vectors, max, bytes);

    public override int ReplyVectors(ulong skip, IoVec* vectors, int max, ulong bytes) =>
        Vectors(_chain.Writable, skip, vectors, max, bytes);

    /// <summary>iovecs over <paramref name="segments"/> (checked guest RAM) from byte <paramref name="skip"/> on, for at most <paramref name="bytes"/>.</summary>
    private int Vectors(ReadOnlySpan<GuestSegment> segments, ulong skip, IoVec* vectors, int max, ulong bytes)
    {
        int count = 0;
        foreach (var segment in segments)
        {
            if (count == max || bytes == 0) break;
            if (skip >= segment.Length)
            {
                skip -= segment.Length;
                continue;
            }
            int take = (int)Math.Min(Math.Min(segment.Length - skip, bytes), int.MaxValue);
            if (!_chain.Memory.TryGetSpan(segment.Address.Offset(skip), take, out var span)) break;
            // Guest RAM is a mapping of its own, never moved by the GC: its address can be handed to the kernel.
            vectors[count++] = new IoVec { iov_base = Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), iov_len = (nuint)take };
            bytes -= (ulong)take;
            skip = 0;
        }
        return count;
    }
}
