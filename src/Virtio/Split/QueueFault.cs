namespace Glue.Virtio.Split;

/// <summary>
/// Why a queue stopped: the driver broke a rule of virtio 1.2 §2.7. A queue with a fault hands out no more
/// chains until it is reset; see <see cref="SplitQueue"/> for why a fault breaks the queue rather than one request.
/// </summary>
public enum QueueFault
{
    None,

    // Queue configuration, found when the driver enables the queue (§2.7).
    SizeInvalid,               // zero, above the device's maximum, or not a power of 2
    RingMisaligned,            // desc table not 16-aligned, avail ring not 2-aligned, used ring not 4-aligned
    RingOutsideMemory,         // a ring does not lie wholly inside guest RAM
    RingsOverlap,              // two of the three areas share bytes: a used ring on the avail ring feeds itself

    // The available ring (§2.7.6).
    AvailIndexJump,            // avail idx moved more than the queue size past the entries already taken
    HeadOutOfRange,            // a ring entry names a descriptor beyond the table
    HeadInFlight,              // a ring entry names a chain the device still holds

    // The descriptors of one chain (§2.7.5, §2.7.5.3).
    NextOutOfRange,            // next names a descriptor beyond its table
    DescriptorOutsideMemory,   // addr+len is not wholly inside one guest RAM region (or wraps around)
    DescriptorLoop,            // the chain visits more descriptors than its table has: it loops
    ChainTooLong,              // more buffers than the device's maximum queue size (§2.7.5.3.1 says the queue size)
    ChainTooManyBytes,         // more than 2^32 bytes in total (§2.7.5.2)
    ReadableAfterWritable,     // a device-readable buffer after a device-writable one (§2.7.4)
    IndirectNotNegotiated,     // VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC
    IndirectWithNext,          // VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT on one descriptor
    NestedIndirect,            // VIRTQ_DESC_F_INDIRECT inside an indirect table
    IndirectLengthInvalid,     // an indirect table's len is zero or not a multiple of 16
    IndirectOutsideMemory,     // an indirect table does not lie wholly inside guest RAM
}
