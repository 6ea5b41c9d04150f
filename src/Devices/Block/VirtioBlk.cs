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
    public const int VIRTIO_BLK_F_MQ = 12;
    public const int VIRTIO_BLK_F_DISCARD = 13;
    public const int VIRTIO_BLK_F_WRITE_ZEROES = 14;

    // §5.2.6 request types.
    public const uint VIRTIO_BLK_T_IN = 0;
    public const uint VIRTIO_BLK_T_OUT = 1;
    public const uint VIRTIO_BLK_T_FLUSH = 4;
    public const uint VIRTIO_BLK_T_GET_ID = 8;
    public const uint VIRTIO_BLK_T_DISCARD = 11;
    public const uint VIRTIO_BLK_T_WRITE_ZEROES = 13;

    // §5.2.6 status values.
    public const byte VIRTIO_BLK_S_OK = 0;
    public const byte VIRTIO_BLK_S_IOERR = 1;
    public const byte VIRTIO_BLK_S_UNSUPP = 2;

    /// <summary>§5.2.6: struct virtio_blk_discard_write_zeroes flags: the range may be deallocated (write zeroes only).</summary>
    public const uint VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

    public const int SectorSize = 512;
    public const int VIRTIO_BLK_ID_BYTES = 20;

    // struct virtio_blk_config offsets (§5.2.4): what Glue fills in.
    public const int ConfigCapacity = 0;                 // le64, in 512-byte sectors
    public const int ConfigSegMax = 12;                  // le32
    public const int ConfigBlkSize = 20;                 // le32
    public const int ConfigNumQueues = 34;               // le16 (VIRTIO_BLK_F_MQ)
    public const int ConfigMaxDiscardSectors = 36;       // le32 (VIRTIO_BLK_F_DISCARD)
    public const int ConfigMaxDiscardSeg = 40;           // le32
    public const int ConfigDiscardSectorAlignment = 44;  // le32, in sectors
    public const int ConfigMaxWriteZeroesSectors = 48;   // le32 (VIRTIO_BLK_F_WRITE_ZEROES)
    public const int ConfigMaxWriteZeroesSeg = 52;       // le32
    public const int ConfigWriteZeroesMayUnmap = 56;     // u8
    public const int ConfigSize = 60;                    // up to and including unused1[3]
}

/// <summary>struct virtio_blk_outhdr (§5.2.6): the device-readable header every request starts with.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioBlkRequestHeader
{
    public uint Type;
    public uint Reserved;   // ioprio in Linux; ignored
    public ulong Sector;
}

/// <summary>struct virtio_blk_discard_write_zeroes (§5.2.6): one range of a DISCARD or WRITE_ZEROES request.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioBlkDiscardWriteZeroes
{
    public ulong Sector;
    public uint NumSectors;
    public uint Flags;
}
