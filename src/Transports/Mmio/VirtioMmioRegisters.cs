namespace Glue.Transports.Mmio;

/// <summary>
/// The virtio-mmio register file (virtio 1.2 §4.2.2), offsets as Linux's include/uapi/linux/virtio_mmio.h names
/// them. Version 2 only: the legacy registers (GuestPageSize 0x028, QueueAlign 0x03c, QueuePFN 0x040) are absent.
/// Every register is 32 bits wide and accessed only with aligned 32-bit reads and writes; the device
/// configuration space from <see cref="VIRTIO_MMIO_CONFIG"/> on takes any width.
/// </summary>
public static class VirtioMmioRegisters
{
    public const uint VIRTIO_MMIO_MAGIC_VALUE = 0x000;          // R: 0x74726976, "virt"
    public const uint VIRTIO_MMIO_VERSION = 0x004;              // R: 2
    public const uint VIRTIO_MMIO_DEVICE_ID = 0x008;            // R
    public const uint VIRTIO_MMIO_VENDOR_ID = 0x00c;            // R
    public const uint VIRTIO_MMIO_DEVICE_FEATURES = 0x010;      // R: 32 feature bits picked by DEVICE_FEATURES_SEL
    public const uint VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;  // W
    public const uint VIRTIO_MMIO_DRIVER_FEATURES = 0x020;      // W
    public const uint VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;  // W
    public const uint VIRTIO_MMIO_QUEUE_SEL = 0x030;            // W
    public const uint VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;        // R
    public const uint VIRTIO_MMIO_QUEUE_NUM = 0x038;            // W
    public const uint VIRTIO_MMIO_QUEUE_READY = 0x044;          // RW
    public const uint VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;         // W: the queue index
    public const uint VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;     // R
    public const uint VIRTIO_MMIO_INTERRUPT_ACK = 0x064;        // W
    public const uint VIRTIO_MMIO_STATUS = 0x070;               // RW
    public const uint VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;       // W
    public const uint VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;      // W
    public const uint VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090;      // W: QueueDriverLow
    public const uint VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094;     // W: QueueDriverHigh
    public const uint VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0;       // W: QueueDeviceLow
    public const uint VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4;      // W: QueueDeviceHigh
    public const uint VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0;          // R: the SHMSel region's length (§4.2.2)
    public const uint VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4;         // R
    public const uint VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8;         // R
    public const uint VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc;        // R
    public const uint VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;    // R
    public const uint VIRTIO_MMIO_CONFIG = 0x100;               // RW: the device's configuration space

    public const uint VIRTIO_MMIO_INT_VRING = 1 << 0;           // InterruptStatus: used buffers
    public const uint VIRTIO_MMIO_INT_CONFIG = 1 << 1;          // InterruptStatus: configuration change

    public const uint MagicValue = 0x74726976;
    public const uint DeviceVersion = 2;              // virtio-mmio version 2: virtio 1.x (1 was legacy)

    /// <summary>VendorID: "Glue" as little-endian bytes (QEMU reports "QEMU", kvmtool "LKVM").</summary>
    public const uint VendorId = 0x65756c47;
}
