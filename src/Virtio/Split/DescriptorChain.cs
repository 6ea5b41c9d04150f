using System.Runtime.InteropServices;
using Glue.Core.Memory;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Virtio.Split;

/// <summary>
/// One request: the chain of descriptors starting at <see cref="Head"/> (virtio 1.2 §2.7.5), walked and
/// checked in full when it is popped, so a device never meets a bad address halfway through a request.
/// Each descriptor is copied out of guest memory once and only the copy is checked and used: the driver
/// cannot change a descriptor between its check and its use.
///
/// A queue owns one chain object and refills it on every pop, so popping allocates nothing. It stays valid
/// until the next pop from the same queue; a device that keeps requests across pops copies <see cref="Head"/>
/// and the segments it needs.
/// </summary>
public sealed class DescriptorChain
{
    private readonly GuestMemory _memory;
    private readonly GuestSegment[] _segments;
    private int _count;
    private int _readableCount;

    internal DescriptorChain(GuestMemory memory, int maxSegments)
    {
        _memory = memory;
        // A chain holds at most as many buffers as the device's maximum queue size: see Load.
        _segments = new GuestSegment[maxSegments];
        Reader = new ChainReader(memory);
        Writer = new ChainWriter(memory);
    }

    /// <summary>The index of the chain's first descriptor: what the device returns in the used ring.</summary>
    public ushort Head { get; private set; }

    /// <summary>The device-readable buffers, in chain order (they all come before the writable ones).</summary>
    public ReadOnlySpan<GuestSegment> Readable => new(_segments, 0, _readableCount);

    /// <summary>The device-writable buffers, in chain order.</summary>
    public ReadOnlySpan<GuestSegment> Writable => new(_segments, _readableCount, _count - _readableCount);

    /// <summary>Copies out of the readable buffers as if they were one.</summary>
    public ChainReader Reader { get; }

    /// <summary>Copies into the writable buffers as if they were one; its Position is the used length.</summary>
    public ChainWriter Writer { get; }

    /// <summary>
    /// Walks the chain from <paramref name="head"/> in the table at <paramref name="descTable"/> (whose
    /// <paramref name="queueSize"/> entries are known to be in guest RAM). Returns the first rule it breaks,
    /// or <see cref="QueueFault.None"/> with the segments, reader and writer filled in.
    /// </summary>
    internal QueueFault Load(GuestAddress descTable, int queueSize, ushort head, bool indirectAllowed)
    {
        Head = head;
        _count = 0;
        _readableCount = 0;
        ulong readableBytes = 0, writableBytes = 0;

        GuestAddress table = descTable;
        int tableEntries = queueSize;
        bool inIndirect = false;
        int steps = 0;
        int index = head;

        while (true)
        {
            // No chain can visit more descriptors than its table has without visiting one twice.
            if (++steps > tableEntries) return QueueFault.DescriptorLoop;
            if (!TryReadDescriptor(table, index, out var desc)) return QueueFault.RingOutsideMemory;

            if (desc.HasFlag(VIRTQ_DESC_F_INDIRECT))
            {
                // §2.7.5.3.1: the feature must be negotiated, only one table per chain, and the descriptor
                // pointing at the table ends the main chain. Its WRITE flag is ignored (§2.7.5.3.2).
                if (!indirectAllowed) return QueueFault.IndirectNotNegotiated;
                if (inIndirect) return QueueFault.NestedIndirect;
                if (desc.HasFlag(VIRTQ_DESC_F_NEXT)) return QueueFault.IndirectWithNext;
                if (desc.Len == 0 || desc.Len % DescriptorSize != 0) return QueueFault.IndirectLengthInvalid;
                if (!IsInMemory(desc.Addr, desc.Len)) return QueueFault.IndirectOutsideMemory;
                table = new GuestAddress(desc.Addr);
                tableEntries = (int)(desc.Len / DescriptorSize);
                inIndirect = true;
                steps = 0;
                index = 0;
                continue;
            }

            if (!IsInMemory(desc.Addr, desc.Len)) return QueueFault.DescriptorOutsideMemory;
            bool writable = desc.HasFlag(VIRTQ_DESC_F_WRITE);
            if (!writable && _count > _readableCount) return QueueFault.ReadableAfterWritable;
            // §2.7.5.3.1 bounds a chain by the queue size; we bound it by the device's maximum queue size, which
            // is what a device derives limits such as blk's seg_max from. A driver may run a smaller ring than the
            // device's maximum (QEMU's vhost-user-blk picks 128 after the backend has stated seg_max), and Linux
            // sizes an indirect chain by seg_max alone.
            if (_count == _segments.Length) return QueueFault.ChainTooLong;

            _segments[_count++] = new GuestSegment(new GuestAddress(desc.Addr), desc.Len);
            if (writable)
            {
                writableBytes += desc.Len;
            }
            else
            {
                _readableCount++;
                readableBytes += desc.Len;
            }
            // §2.7.5.2: at most 2^32 bytes per chain. (The sum cannot overflow: at most 32768 lengths below 2^32.)
            if (readableBytes + writableBytes > 1UL << 32) return QueueFault.ChainTooManyBytes;

            if (!desc.HasFlag(VIRTQ_DESC_F_NEXT)) break;
            index = desc.Next;
            if (index >= tableEntries) return QueueFault.NextOutOfRange;
        }

        Reader.Reset(_segments, 0, _readableCount, readableBytes);
        Writer.Reset(_segments, _readableCount, _count, writableBytes);
        return QueueFault.None;
    }

    /// <summary>A copy of descriptor <paramref name="index"/> of the table at <paramref name="table"/>.</summary>
    private bool TryReadDescriptor(GuestAddress table, int index, out VirtqDesc desc)
    {
        if (_memory.TryGetSpan(new GuestAddress(table.Value + (ulong)index * DescriptorSize), DescriptorSize, out var bytes))
        {
            desc = MemoryMarshal.Read<VirtqDesc>(bytes);
            return true;
        }
        desc = default;
        return false;
    }

    /// <summary>True when [address, address+length) lies wholly inside one guest RAM region; wrap-around is refused.</summary>
    private bool IsInMemory(ulong address, uint length)
    {
        var regions = _memory.Regions;
        for (int i = 0; i < regions.Count; i++)
        {
            if (regions[i].Contains(new GuestAddress(address), length)) return true;
        }
        return false;
    }
}
