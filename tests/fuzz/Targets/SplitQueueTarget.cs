using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Split;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A split queue over guest memory the input fills: queue size, features, ring addresses and the indices the
/// queue starts from come first, the memory image (rings, descriptor tables, indirect tables) after. The device
/// side pops, reads and writes every chain and returns it. Checked: nothing throws, every segment lies in guest
/// memory, readable segments come before writable ones, and only writable buffers and the used ring change.
/// </summary>
internal static class SplitQueueTarget
{
    private const int RegionSize = 0x10000;
    // 64 KiB at 0 and 4 KiB at 0x20000: a hole between and nothing above, for chains to point into.
    private static readonly GuestMemory Memory = new([
        new GuestRegion(new GuestAddress(0), RegionSize),
        new GuestRegion(new GuestAddress(0x20000), 0x1000),
    ]);
    private static readonly WriteWatch Watch = new(Memory, new GuestAddress(0), RegionSize);

    public static void Run(byte[] data)
    {
        var input = new FuzzInput(data);
        ushort size = (ushort)(1 << (input.Byte() % 7));           // 1 .. 64
        byte flags = input.Byte();
        ulong features = VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_VERSION_1)
            | ((flags & 1) != 0 ? VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_EVENT_IDX) : 0)
            | ((flags & 2) != 0 ? VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_INDIRECT_DESC) : 0);
        bool withBudget = (flags & 4) != 0;
        var desc = new GuestAddress(input.U16());
        var avail = new GuestAddress(input.U16());
        var used = new GuestAddress(input.U16());
        ushort nextAvail = input.U16();
        ushort nextUsed = input.U16();

        Memory.GetSpan(new GuestAddress(0), RegionSize).Clear();
        var image = input.Rest();
        image[..Math.Min(image.Length, RegionSize)].CopyTo(Memory.GetSpan(new GuestAddress(0), RegionSize));
        Watch.Snapshot();

        int rearms = 0;
        var queue = new SplitQueue(Memory, 64, rearm: withBudget ? _ => rearms++ : null)
        {
            Size = size, DescTable = desc, AvailRing = avail, UsedRing = used,
        };
        queue.SetIndices(nextAvail, nextUsed);
        if (!queue.Enable(features)) return;
        bool eventIdx = (flags & 1) != 0;
        Watch.AllowWrites(used, (ulong)UsedRingBytes(size, eventIdx));

        // Bounded: a hostile ring may keep offering chains; four queue-sizes' worth is plenty to cover it.
        for (int round = 0; round < 4 * size; round++)
        {
            queue.DisableNotification();
            if (!queue.TryPop(out var chain))
            {
                if (queue.IsBroken) break;
                if (!queue.EnableNotification())
                {
                    if (rearms == 0) break;
                    queue.RefillBudget();
                }
                continue;
            }
            Check(chain);
            Watch.AllowChain(chain);
            uint written = Serve(chain);
            if ((round & 7) == 7)
            {
                queue.UndoPop();
                continue;
            }
            queue.AddUsed(chain.Head, written);
            queue.NeedsNotification();
        }
        Watch.Check();
    }

    private static void Check(DescriptorChain chain)
    {
        foreach (var segment in chain.Readable) CheckInMemory(segment);
        foreach (var segment in chain.Writable) CheckInMemory(segment);
        if (chain.Reader.Length != Sum(chain.Readable) || chain.Writer.Length != Sum(chain.Writable))
            throw new FuzzInvariantException("a chain's reader or writer length differs from its segments");
    }

    private static void CheckInMemory(GuestSegment segment)
    {
        if (segment.Length > 0 && !Memory.TryGetSpan(segment.Address, (int)segment.Length, out _))
            throw new FuzzInvariantException($"a segment at {segment.Address}+0x{segment.Length:x} is not inside guest memory");
    }

    private static ulong Sum(ReadOnlySpan<GuestSegment> segments)
    {
        ulong total = 0;
        foreach (var segment in segments) total += segment.Length;
        return total;
    }

    /// <summary>Reads every readable byte and fills every writable one, as a device would.</summary>
    private static uint Serve(DescriptorChain chain)
    {
        var reader = chain.Reader;
        while (reader.Remaining > 0)
        {
            var span = reader.GetSpan();
            if (span.IsEmpty) throw new FuzzInvariantException("a reader with bytes remaining gave an empty span");
            reader.Advance((ulong)span.Length);
        }
        var writer = chain.Writer;
        while (writer.Remaining > 0)
        {
            var span = writer.GetSpan();
            if (span.IsEmpty) throw new FuzzInvariantException("a writer with room remaining gave an empty span");
            span.Fill(0xa5);
            writer.Advance((ulong)span.Length);
        }
        return (uint)writer.Position;
    }
}
