using System.Runtime.InteropServices;
using Glue.Virtio;

namespace Glue.Devices.Net;

/// <summary>The network device's feature bits, config space and header (virtio 1.2 §5.1).</summary>
public static class VirtioNet
{
    // §5.1.3 Feature bits: those Glue offers. No checksum or segmentation offloads (CSUM, GUEST_CSUM, *_TSO*,
    // *_UFO, *_USO), no mergeable receive buffers and one queue pair: frames are whole, checksummed and at most
    // one receive buffer long, which is what the TAP gives without TUNSETOFFLOAD.
    public const int VIRTIO_NET_F_MAC = 5;       // §5.1.3: the device has a MAC address in its config space
    public const int VIRTIO_NET_F_STATUS = 16;   // §5.1.3: config status field (link up) is available

    public const ushort VIRTIO_NET_S_LINK_UP = 1;   // §5.1.4: status: the link is up

    /// <summary>receiveq1 and transmitq1 in the spec's numbering (§5.1.2): queues 0 and 1.</summary>
    public const int ReceiveQueue = 0;
    public const int TransmitQueue = 1;

    /// <summary>
    /// Bytes of struct virtio_net_hdr in front of every buffer (§5.1.6): 12 with VIRTIO_F_VERSION_1, which
    /// has num_buffers whether or not VIRTIO_NET_F_MRG_RXBUF is negotiated; the legacy 10-byte header is not
    /// supported because legacy drivers are not (the core refuses FEATURES_OK without VERSION_1).
    /// </summary>
    public const int HeaderSize = 12;

    /// <summary>Offset of num_buffers in struct virtio_net_hdr.</summary>
    public const int NumBuffersOffset = 10;

    /// <summary>Bytes of struct virtio_net_config used: mac[6] and le16 status (§5.1.4).</summary>
    public const int ConfigSize = 8;

    public const ulong Features = 1UL << VIRTIO_NET_F_MAC | 1UL << VIRTIO_NET_F_STATUS;

    /// <summary>The header size the negotiated features imply: always <see cref="HeaderSize"/>, since they always include VERSION_1.</summary>
    public static int HeaderSizeFor(ulong features) =>
        VirtioFeatures.Has(features, VirtioFeatures.VIRTIO_F_VERSION_1) ? HeaderSize : throw new ArgumentException("legacy virtio-net headers are not supported");

    /// <summary>
    /// struct virtio_net_hdr (§5.1.6) as the device writes it in front of a received frame when no offload is
    /// negotiated: flags 0 (§5.1.6.4.1: without VIRTIO_NET_F_GUEST_CSUM the device MUST set flags to zero),
    /// gso_type VIRTIO_NET_HDR_GSO_NONE, and num_buffers 1 (the frame fills one buffer).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct Header
    {
        public byte Flags;
        public byte GsoType;
        public ushort HdrLen;
        public ushort GsoSize;
        public ushort CsumStart;
        public ushort CsumOffset;
        public ushort NumBuffers;
    }
}
