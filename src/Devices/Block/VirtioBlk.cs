using System.Runtime.InteropServices;

namespace Glue.Devices.Block;

/// <summary>The block device's constants (virtio 1.2 §5.2), named as in Linux's include/uapi/linux/virtio_blk.h.</summary>
public static class VirtioBlk
{
    // §5.2.3 feature bits.
    public const int VIRTIO_BLK_F_SIZE_MAX = 1;
    public const int VIRTIO_BLK_F_SEG_MAX = 2;
    public const int VIRTIO_BLK_F_RO = 5;
    public const int VIRTIO_BLK_F_BLK_SIZE = 6;
    public const int VIRTIO_BLK_F_FLUSH = 9;

    // §5.2.6 request types.
    public const uint VIRTIO_BLK_T_IN = 0;
    public const uint VIRTIO_BLK_T_OUT = 1;
    public const uint VIRTIO_BLK_T_FLUSH = 4;
    public const uint VIRTIO_BLK_T_GET_ID = 8;

    // §5.2.6 status values.
    public const byte VIRTIO_BLK_S_OK = 0;
    public const byte VIRTIO_BLK_S_IOERR = 1;
    public const byte VIRTIO_BLK_S_UNSUPP = 2;

    public const int SectorSize = 512;
    public const int VIRTIO_BLK_ID_BYTES = 20;

    // struct virtio_blk_config offsets (§5.2.4): what Glue fills in.
    public const int ConfigCapacity = 0;    // le64, in 512-byte sectors
    public const int ConfigSegMax = 12;     // le32
    public const int ConfigBlkSize = 20;    // le32
    public const int ConfigSize = 24;       // up to and including blk_size
}

/// <summary>struct virtio_blk_outhdr (§5.2.6): the device-readable header every request starts with.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioBlkRequestHeader
{
    public uint Type;
    public uint Reserved;   // ioprio in Linux; ignored
    public ulong Sector;
}
