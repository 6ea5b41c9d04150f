using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Split;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The check a ring passes when it starts (SET_VRING_KICK) and again under each new memory table: each area at
/// its spec size inside one region of the table, aligned as virtio 1.2 §2.7 asks, and no two areas overlapping
/// (a used ring laid over the avail ring would feed the device its own answers forever). A ring that passes can
/// run later without failing. Each failure throws <see cref="VhostUserException"/>.
/// </summary>
internal static class VringLayout
{
    public static void Check(int index, Vring ring, VhostUserMemory? memory, ulong features)
    {
        if (memory is null) throw new VhostUserException($"ring {index}: started before any SET_MEM_TABLE");
        if (!ring.HasAddresses) throw new VhostUserException($"ring {index}: started before SET_VRING_ADDR");
        if (!VirtioFeatures.Has(features, VirtioFeatures.VIRTIO_F_VERSION_1))
            throw new VhostUserException($"ring {index}: started without VIRTIO_F_VERSION_1 negotiated (legacy devices are not supported)");
        bool eventIdx = VirtioFeatures.Has(features, VirtioFeatures.VIRTIO_F_EVENT_IDX);
        var desc = Area(memory, index, "descriptor table", ring.DescUser, Virtq.DescTableBytes(ring.Size), Virtq.DescTableAlignment);
        var avail = Area(memory, index, "avail ring", ring.AvailUser, Virtq.AvailRingBytes(ring.Size, eventIdx), Virtq.AvailRingAlignment);
        var used = Area(memory, index, "used ring", ring.UsedUser, Virtq.UsedRingBytes(ring.Size, eventIdx), Virtq.UsedRingAlignment);
        if (SplitQueue.RingsOverlap(desc, avail, used, ring.Size, eventIdx))
            throw new VhostUserException($"ring {index}: its descriptor table (guest 0x{desc.Value:x}), avail ring (0x{avail.Value:x}) and used ring (0x{used.Value:x}) overlap at size {ring.Size}");
    }

    /// <summary>The guest address of one area, checked to lie in one region and to be aligned.</summary>
    private static GuestAddress Area(VhostUserMemory memory, int index, string name, ulong user, int bytes, ulong alignment)
    {
        if (!memory.TryTranslate(user, (ulong)bytes, out var guest) || !memory.Memory.TryGetSpan(guest, bytes, out _))
            throw new VhostUserException($"ring {index}: its {name} (user 0x{user:x}, 0x{bytes:x} bytes) is not inside one region of the memory table");
        if (guest.Value % alignment != 0) throw new VhostUserException($"ring {index}: its {name} at guest 0x{guest.Value:x} is not {alignment}-byte aligned");
        return guest;
    }
}
