using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Split;
using Xunit;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Tests.Virtio;

/// <summary>
/// The driver's side of a split queue, written straight into guest memory the way a guest driver lays it out:
/// descriptor table, then the available ring, then the used ring (4-byte aligned). Tests build chains with it,
/// hand the queue to <see cref="SplitQueue"/>, and read back what the device put in the used ring.
/// </summary>
internal sealed class MockSplitQueue
{
    private ushort _nextFree;   // the next descriptor AddChain uses

    public MockSplitQueue(GuestMemory memory, ushort size, ulong baseAddress = 0x1000)
    {
        Memory = memory;
        Size = size;
        DescTable = new GuestAddress(baseAddress);
        AvailRing = DescTable.Offset((ulong)DescTableBytes(size));
        UsedRing = AvailRing.Offset((ulong)AvailRingBytes(size, eventIdx: true)).AlignUp(UsedRingAlignment);
        Memory.GetSpan(DescTable, (int)(UsedRing.Value + (ulong)UsedRingBytes(size, true) - DescTable.Value)).Clear();
    }

    public GuestMemory Memory { get; }
    public ushort Size { get; }
    public GuestAddress DescTable { get; }
    public GuestAddress AvailRing { get; }
    public GuestAddress UsedRing { get; }

    /// <summary>A queue over these rings, configured and enabled with <paramref name="features"/>.</summary>
    public SplitQueue CreateQueue(ulong features = VirtioFeatures.Core, Action<SplitQueue>? broken = null)
    {
        var queue = new SplitQueue(Memory, Size, broken)
        {
            DescTable = DescTable,
            AvailRing = AvailRing,
            UsedRing = UsedRing,
        };
        Assert.True(queue.Enable(features));
        return queue;
    }

    public void SetDescriptor(int index, ulong addr, uint len, ushort flags = 0, ushort next = 0) =>
        Memory.Write(DescTable.Offset((ulong)(index * DescriptorSize)), new VirtqDesc(addr, len, flags, next));

    /// <summary>Writes an indirect descriptor table (or any table) at <paramref name="table"/>.</summary>
    public void WriteTable(ulong table, params VirtqDesc[] descriptors) =>
        Memory.Write(new GuestAddress(table), MemoryMarshal.AsBytes(descriptors.AsSpan()));

    /// <summary>Puts <paramref name="heads"/> in the available ring and then moves idx past them.</summary>
    public void Publish(params ushort[] heads)
    {
        ushort idx = AvailIdx;
        foreach (ushort head in heads)
        {
            Memory.Write(AvailRing.Offset((ulong)(RingHeaderSize + 2 * (idx % Size))), head);
            idx++;
        }
        AvailIdx = idx;
    }

    /// <summary>
    /// Lays out a chain over the next free descriptors, one per (address, length, writable) buffer, publishes
    /// its head and returns it.
    /// </summary>
    public ushort AddChain(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        ushort head = _nextFree;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort index = (ushort)((head + i) % Size);
            ushort flags = (ushort)((buffers[i].Writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < buffers.Length ? VIRTQ_DESC_F_NEXT : 0));
            SetDescriptor(index, buffers[i].Address, buffers[i].Length, flags, (ushort)((index + 1) % Size));
        }
        _nextFree = (ushort)((head + buffers.Length) % Size);
        Publish(head);
        return head;
    }

    public ushort AvailIdx
    {
        get => Memory.Read<ushort>(AvailRing.Offset(2));
        set => Memory.Write(AvailRing.Offset(2), value);
    }

    public ushort AvailFlags
    {
        set => Memory.Write(AvailRing, value);
    }

    /// <summary>avail->used_event: the used idx after which the driver wants its next interrupt.</summary>
    public ushort UsedEvent
    {
        set => Memory.Write(AvailRing.Offset((ulong)(RingHeaderSize + 2 * Size)), value);
    }

    public ushort UsedFlags => Memory.Read<ushort>(UsedRing);

    public ushort UsedIdx => Memory.Read<ushort>(UsedRing.Offset(2));

    /// <summary>used->avail_event: the avail idx after which the device wants its next kick.</summary>
    public ushort AvailEvent => Memory.Read<ushort>(UsedRing.Offset((ulong)(RingHeaderSize + UsedElementSize * Size)));

    /// <summary>The used ring element at ring position <paramref name="position"/> (taken modulo the size).</summary>
    public (uint Id, uint Len) UsedElement(int position)
    {
        var at = UsedRing.Offset((ulong)(RingHeaderSize + UsedElementSize * (position % Size)));
        return (Memory.Read<uint>(at), Memory.Read<uint>(at.Offset(4)));
    }
}
