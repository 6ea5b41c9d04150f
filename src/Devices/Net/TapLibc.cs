using System.Runtime.InteropServices;

namespace Glue.Devices.Net;

/// <summary>
/// The libc calls and kernel constants behind <see cref="Tap"/> (include/uapi/linux/if_tun.h, linux/if.h,
/// sys/uio.h). Each call returns -1 and sets errno on failure.
/// </summary>
internal static unsafe partial class TapLibc
{
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int EINTR = 4;
    public const int EAGAIN = 11;

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

    /// <summary>struct iovec (sys/uio.h): one buffer of a readv/writev.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errnum);

    /// <summary>The message libc gives for an errno, e.g. "Operation not permitted".</summary>
    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    /// <summary>Bytes read, 0 at end of file, -1 on error (EAGAIN: nothing to read on a non-blocking fd).</summary>
    [LibraryImport("libc", EntryPoint = "readv", SetLastError = true)]
    public static partial nint Readv(int fd, IoVec* iov, int iovcnt);

    /// <summary>Bytes written, -1 on error (EAGAIN: no room on a non-blocking fd).</summary>
    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int iovcnt);
}
