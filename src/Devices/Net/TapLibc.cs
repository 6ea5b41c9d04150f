using System.Runtime.InteropServices;

namespace Glue.Devices.Net;

/// <summary>
/// The kernel constants and struct behind <see cref="Tap"/> (include/uapi/linux/if_tun.h, linux/if.h); the
/// calls themselves are Glue.Core's <see cref="Glue.Core.Interop.Libc"/>.
/// </summary>
internal static unsafe class TapLibc
{
    /// <summary>linux/if.h: interface names are at most IFNAMSIZ - 1 bytes and a NUL.</summary>
    public const int IFNAMSIZ = 16;

    // include/uapi/linux/if_tun.h: ioctls on the /dev/net/tun fd.
    public const nuint TUNSETIFF = 0x400454ca;         // _IOW('T', 202, int)
    public const nuint TUNGETIFF = 0x800454d2;         // _IOR('T', 210, unsigned int)
    public const nuint TUNGETVNETHDRSZ = 0x800454d7;   // _IOR('T', 215, int)
    public const nuint TUNSETVNETHDRSZ = 0x400454d8;   // _IOW('T', 216, int)

    // include/uapi/linux/if_tun.h: TUNSETIFF flags.
    public const short IFF_TAP = 0x0002;        // Ethernet frames (IFF_TUN would be IP packets)
    public const short IFF_NO_PI = 0x1000;      // no struct tun_pi in front of each frame
    public const short IFF_VNET_HDR = 0x4000;   // a struct virtio_net_hdr in front of each frame, both ways

    /// <summary>struct ifreq (linux/if.h), 40 bytes: the name, then a union of which TUNSETIFF uses ifr_flags.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct IfReq
    {
        public fixed byte ifr_name[IFNAMSIZ];
        public short ifr_flags;
    }
}
