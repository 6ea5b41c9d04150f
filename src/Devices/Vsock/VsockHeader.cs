using System.Runtime.InteropServices;

namespace Glue.Devices.Vsock;

/// <summary>struct virtio_vsock_hdr (virtio 1.2 §5.10.6): 44 bytes, little-endian, packed; the payload follows.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VsockHeader
{
    public const int Size = 44;

    public ulong SrcCid;
    public ulong DstCid;
    public uint SrcPort;
    public uint DstPort;
    public uint Len;
    public ushort Type;
    public ushort Op;
    public uint Flags;
    public uint BufAlloc;
    public uint FwdCnt;

    /// <summary>The header of a reply to this packet: source and destination swapped, type stream.</summary>
    public readonly VsockHeader Reply(ushort op) =>
        new() { SrcCid = DstCid, DstCid = SrcCid, SrcPort = DstPort, DstPort = SrcPort, Type = VsockProtocol.VIRTIO_VSOCK_TYPE_STREAM, Op = op };
}

/// <summary>The constants of §5.10: the host's CID, the socket type, the operations and the shutdown flags.</summary>
public static class VsockProtocol
{
    public const ulong VMADDR_CID_HOST = 2;

    public const ushort VIRTIO_VSOCK_TYPE_STREAM = 1;

    public const ushort VIRTIO_VSOCK_OP_INVALID = 0;
    public const ushort VIRTIO_VSOCK_OP_REQUEST = 1;
    public const ushort VIRTIO_VSOCK_OP_RESPONSE = 2;
    public const ushort VIRTIO_VSOCK_OP_RST = 3;
    public const ushort VIRTIO_VSOCK_OP_SHUTDOWN = 4;
    public const ushort VIRTIO_VSOCK_OP_RW = 5;
    public const ushort VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6;
    public const ushort VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7;

    public const uint VIRTIO_VSOCK_SHUTDOWN_RCV = 1;  // the sender will receive no more
    public const uint VIRTIO_VSOCK_SHUTDOWN_SEND = 2; // the sender will send no more

    // §5.10.6.7 Device Events: struct virtio_vsock_event { le32 id; } on the event queue.
    public const uint VIRTIO_VSOCK_EVENT_TRANSPORT_RESET = 0;
    public const int EventSize = 4;
}
