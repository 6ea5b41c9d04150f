namespace Glue.Virtio.Split;

/// <summary>
/// The split virtqueue's flags and layout (virtio 1.2 §2.7). Its fields are little-endian (le16/le32/le64,
/// §1.4); Glue runs on x86-64 only, so they are read and written as native integers.
/// </summary>
public static class Virtq
{
    public const ushort VIRTQ_DESC_F_NEXT = 1;          // §2.7.5: the buffer continues in the descriptor named by next
    public const ushort VIRTQ_DESC_F_WRITE = 2;         // §2.7.5: the buffer is device write-only (else device read-only)
    public const ushort VIRTQ_DESC_F_INDIRECT = 4;      // §2.7.5.3: the buffer holds a table of descriptors
    public const ushort VIRTQ_AVAIL_F_NO_INTERRUPT = 1; // §2.7.6: the driver asks for no used buffer notifications
    public const ushort VIRTQ_USED_F_NO_NOTIFY = 1;     // §2.7.8: the device asks for no available buffer notifications

    /// <summary>The largest queue size a split queue can have (§2.7: Queue Size is at most 32768).</summary>
    public const int MaxQueueSize = 32768;

    // §2.7, "Virtqueue Part" table: the alignment each of the three areas needs.
    public const ulong DescTableAlignment = 16;
    public const ulong AvailRingAlignment = 2;
    public const ulong UsedRingAlignment = 4;

    public const int DescriptorSize = 16;   // §2.7.5 struct virtq_desc
    public const int UsedElementSize = 8;   // §2.7.8 struct virtq_used_elem
    public const int RingHeaderSize = 4;    // flags and idx, in front of both rings

    /// <summary>Bytes of the descriptor table for a queue of <paramref name="size"/> entries.</summary>
    public static int DescTableBytes(int size) => DescriptorSize * size;

    /// <summary>Bytes of struct virtq_avail: flags, idx, ring[size], and used_event when event indices are on.</summary>
    public static int AvailRingBytes(int size, bool eventIdx) => RingHeaderSize + 2 * size + (eventIdx ? 2 : 0);

    /// <summary>Bytes of struct virtq_used: flags, idx, ring[size], and avail_event when event indices are on.</summary>
    public static int UsedRingBytes(int size, bool eventIdx) => RingHeaderSize + UsedElementSize * size + (eventIdx ? 2 : 0);

    /// <summary>
    /// vring_need_event (§2.7.7 and §2.7.10; the helper in the spec's virtio_queue.h): true when moving the index from
    /// <paramref name="oldIdx"/> to <paramref name="newIdx"/> passed <paramref name="eventIdx"/>. All three are
    /// free-running 16-bit counters, so the comparison is done in wrapping arithmetic.
    /// </summary>
    public static bool NeedEvent(ushort eventIdx, ushort newIdx, ushort oldIdx) =>
        (ushort)(newIdx - eventIdx - 1) < (ushort)(newIdx - oldIdx);
}
