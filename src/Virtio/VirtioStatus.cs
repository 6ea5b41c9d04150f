namespace Glue.Virtio;

/// <summary>The device status bits (virtio 1.2 §2.1), in the order the driver sets them (§3.1.1).</summary>
public static class VirtioStatus
{
    public const byte VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;       // §2.1: the guest found the device
    public const byte VIRTIO_CONFIG_S_DRIVER = 2;            // §2.1: the guest knows how to drive it
    public const byte VIRTIO_CONFIG_S_DRIVER_OK = 4;         // §2.1: the driver is set up and ready
    public const byte VIRTIO_CONFIG_S_FEATURES_OK = 8;       // §2.1: feature negotiation is complete
    public const byte VIRTIO_CONFIG_S_NEEDS_RESET = 64;      // §2.1: the device hit an error it cannot recover from
    public const byte VIRTIO_CONFIG_S_FAILED = 128;          // §2.1: the driver gave up on the device
}
