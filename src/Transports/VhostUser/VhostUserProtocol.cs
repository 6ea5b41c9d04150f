using System.Runtime.InteropServices;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The vhost-user protocol's numbers (QEMU docs/interop/vhost-user.rst), named as there. Every number is in the
/// machine's byte order, which for Glue is little-endian x86-64.
/// </summary>
public static class VhostUserProtocol
{
    // ---- The message header: request, flags, size (3 × u32), then size bytes of payload.
    public const int HeaderSize = 12;
    public const uint VHOST_USER_VERSION_MASK = 0x3;
    public const uint VHOST_USER_VERSION = 0x1;
    public const uint VHOST_USER_REPLY_MASK = 1 << 2;
    public const uint VHOST_USER_NEED_REPLY_MASK = 1 << 3;

    /// <summary>The largest payload we read: a memory table is 8 + 8 × 32 bytes, a config message 12 + 256.</summary>
    public const int MaxPayloadSize = 4096;

    /// <summary>At most this many fds come with one message (VHOST_MEMORY_BASELINE_NREGIONS: one per memory region).</summary>
    public const int MaxFds = 8;
    public const int MaxMemoryRegions = 8;

    /// <summary>VHOST_USER_MAX_CONFIG_SIZE: the largest config space access.</summary>
    public const int MaxConfigSize = 256;

    // ---- Front-end requests.
    public const uint VHOST_USER_GET_FEATURES = 1;
    public const uint VHOST_USER_SET_FEATURES = 2;
    public const uint VHOST_USER_SET_OWNER = 3;
    public const uint VHOST_USER_RESET_OWNER = 4;
    public const uint VHOST_USER_SET_MEM_TABLE = 5;
    public const uint VHOST_USER_SET_VRING_NUM = 8;
    public const uint VHOST_USER_SET_VRING_ADDR = 9;
    public const uint VHOST_USER_SET_VRING_BASE = 10;
    public const uint VHOST_USER_GET_VRING_BASE = 11;
    public const uint VHOST_USER_SET_VRING_KICK = 12;
    public const uint VHOST_USER_SET_VRING_CALL = 13;
    public const uint VHOST_USER_SET_VRING_ERR = 14;
    public const uint VHOST_USER_GET_PROTOCOL_FEATURES = 15;
    public const uint VHOST_USER_SET_PROTOCOL_FEATURES = 16;
    public const uint VHOST_USER_GET_QUEUE_NUM = 17;
    public const uint VHOST_USER_SET_VRING_ENABLE = 18;
    public const uint VHOST_USER_GET_CONFIG = 24;
    public const uint VHOST_USER_SET_CONFIG = 25;
    public const uint VHOST_USER_GET_INFLIGHT_FD = 31;
    /// <summary>The frontend's end of a socket for a device's own display protocol (vhost-user-gpu.rst); one fd, no payload.</summary>
    public const uint VHOST_USER_GPU_SET_SOCKET = 33;
    public const uint VHOST_USER_RESET_DEVICE = 34;

    /// <summary>The virtio feature bit (30, unused by virtio 1.x) that says the backend has protocol features.</summary>
    public const int VHOST_USER_F_PROTOCOL_FEATURES = 30;

    // ---- Protocol feature bits.
    public const int VHOST_USER_PROTOCOL_F_MQ = 0;
    public const int VHOST_USER_PROTOCOL_F_REPLY_ACK = 3;
    public const int VHOST_USER_PROTOCOL_F_CONFIG = 9;

    /// <summary>
    /// What Glue can offer: MQ (GET_QUEUE_NUM, which QEMU uses to check it asks for no more queues than the device
    /// has; the spec asks every backend to have it), REPLY_ACK (the frontend may ask for a success/failure answer
    /// to any message, which is how errors reach it instead of a disconnect) and CONFIG (GET_CONFIG/SET_CONFIG:
    /// QEMU's vhost-user-blk and -vsock read the capacity and guest CID from the backend and fail without it).
    /// </summary>
    public const ulong SupportedProtocolFeatures =
        1UL << VHOST_USER_PROTOCOL_F_MQ | 1UL << VHOST_USER_PROTOCOL_F_REPLY_ACK | 1UL << VHOST_USER_PROTOCOL_F_CONFIG;

    // ---- The u64 of SET_VRING_KICK / CALL / ERR.
    public const ulong VHOST_USER_VRING_IDX_MASK = 0xff;
    public const ulong VHOST_USER_VRING_NOFD_MASK = 1 << 8;

    /// <summary>VHOST_VRING_F_LOG in vring address flags: log used ring writes (only with VHOST_F_LOG_ALL, not offered).</summary>
    public const uint VHOST_VRING_F_LOG = 1 << 0;
}

/// <summary>The message header.</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct VhostUserHeader(uint Request, uint Flags, uint Size);

/// <summary>struct vhost_vring_state: a ring index and a number (size, base, enable).</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct VringStateMessage(uint Index, uint Num);

/// <summary>struct vhost_vring_addr: the ring's areas as frontend user addresses (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct VringAddrMessage(uint Index, uint Flags, ulong Desc, ulong Used, ulong Avail, ulong Log);

/// <summary>VhostUserMemoryRegion (32 bytes): guest-physical address, size, frontend user address, offset in its fd.</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct MemoryRegionMessage(ulong GuestAddress, ulong Size, ulong UserAddress, ulong MmapOffset);

/// <summary>VhostUserConfig's fixed part (12 bytes), followed by size bytes of config space.</summary>
[StructLayout(LayoutKind.Sequential)]
public record struct ConfigHeaderMessage(uint Offset, uint Size, uint Flags);
