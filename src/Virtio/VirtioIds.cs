namespace Glue.Virtio;

/// <summary>Device IDs (virtio 1.2 §5): what a transport reports as DeviceID so the guest picks the driver.</summary>
public static class VirtioIds
{
    public const uint VIRTIO_ID_NET = 1;       // §5.1 Network Device
    public const uint VIRTIO_ID_BLOCK = 2;     // §5.2 Block Device
    public const uint VIRTIO_ID_CONSOLE = 3;   // §5.3 Console Device
    public const uint VIRTIO_ID_RNG = 4;       // §5.4 Entropy Device
    public const uint VIRTIO_ID_BALLOON = 5;   // §5.5 Traditional Memory Balloon Device
    public const uint VIRTIO_ID_SCSI = 8;      // §5.6 SCSI Host Device
    public const uint VIRTIO_ID_9P = 9;        // §5 table: 9P transport
    public const uint VIRTIO_ID_GPU = 16;      // §5.7 GPU Device
    public const uint VIRTIO_ID_INPUT = 18;    // §5.8 Input Device
    public const uint VIRTIO_ID_VSOCK = 19;    // §5.10 Socket Device
    public const uint VIRTIO_ID_FS = 26;       // §5.11 File System Device
}
