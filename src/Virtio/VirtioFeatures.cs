namespace Glue.Virtio;

/// <summary>
/// The device-independent feature bits (virtio 1.2 §6), as bit numbers like the spec gives them; bits 0-23
/// belong to each device type (§5). <see cref="Core"/> is what this library implements for every device.
/// </summary>
public static class VirtioFeatures
{
    public const int VIRTIO_F_INDIRECT_DESC = 28;     // §6: descriptors may point to indirect tables (§2.7.5.3)
    public const int VIRTIO_F_EVENT_IDX = 29;         // §6: used_event / avail_event notification suppression (§2.7.7, §2.7.10)
    public const int VIRTIO_F_VERSION_1 = 32;         // §6: compliance with virtio 1.x; without it the driver is legacy
    public const int VIRTIO_F_ACCESS_PLATFORM = 33;   // §6: buffers are behind an IOMMU
    public const int VIRTIO_F_RING_PACKED = 34;       // §6: packed virtqueue layout (§2.8)
    public const int VIRTIO_F_IN_ORDER = 35;          // §6: buffers are used in the order they were made available
    public const int VIRTIO_F_ORDER_PLATFORM = 36;    // §6: platform memory ordering is needed (hardware devices)
    public const int VIRTIO_F_SR_IOV = 37;            // §6: PCI single-root I/O virtualization
    public const int VIRTIO_F_NOTIFICATION_DATA = 38; // §6: the driver passes extra data in notifications
    public const int VIRTIO_F_RING_RESET = 40;        // §6: individual queues can be reset

    /// <summary>
    /// Offered for every device on top of its own bits: version 1 (legacy is not supported), indirect
    /// descriptors and event indices, all of which <see cref="Split.SplitQueue"/> implements. Devices do not
    /// list these themselves, so a device cannot offer a ring feature the queue does not have.
    /// </summary>
    public const ulong Core = 1UL << VIRTIO_F_VERSION_1 | 1UL << VIRTIO_F_INDIRECT_DESC | 1UL << VIRTIO_F_EVENT_IDX;

    /// <summary>The mask of one feature bit: <c>Bit(VIRTIO_F_VERSION_1)</c> is 1 &lt;&lt; 32.</summary>
    public static ulong Bit(int bit) => 1UL << bit;

    /// <summary>True when <paramref name="features"/> has <paramref name="bit"/> set.</summary>
    public static bool Has(ulong features, int bit) => (features & (1UL << bit)) != 0;
}
