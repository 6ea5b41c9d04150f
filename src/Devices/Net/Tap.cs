using System.Runtime.InteropServices;
using System.Text;
using Glue.Core.Devices;
using Glue.Core.Interop;
using static Glue.Core.Interop.Libc;
using static Glue.Devices.Net.TapLibc;

namespace Glue.Devices.Net;

/// <summary>
/// A host TAP interface (Documentation/networking/tuntap.rst): an fd on /dev/net/tun bound with TUNSETIFF
/// to a layer-2 interface. Each read gives one frame the host sent, each write sends one frame; with
/// IFF_VNET_HDR each frame has a struct virtio_net_hdr in front, the same header virtio-net puts in front of
/// its buffers, so frames go between the TAP and guest memory without being copied or reshaped.
///
/// The interface is not persistent: it goes away when the fd is closed (or the process ends), so a VM that
/// fails to start leaves no TAP behind. The fd is non-blocking: the device polls it on its I/O thread.
/// </summary>
public sealed unsafe class Tap : IDisposable
{
    private const string CloneDevice = "/dev/net/tun";

    /// <summary>Takes an fd that behaves like a TAP (a SOCK_SEQPACKET socket in tests).</summary>
    internal Tap(SafeFd handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    public SafeFd Handle { get; }

    /// <summary>The interface's name as the kernel has it.</summary>
    public string Name { get; }

    /// <summary>
    /// Creates (or attaches to an unused persistent) TAP interface <paramref name="name"/> in the calling thread's
    /// network namespace, with <paramref name="vnetHeaderSize"/>-byte virtio-net headers on every frame. Throws
    /// <see cref="DeviceConfigException"/> with a one-line reason when that cannot be done.
    /// </summary>
    public static Tap Open(string name, int vnetHeaderSize)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes == 0) throw new DeviceConfigException("--net: the TAP name is empty");
        if (nameBytes > IFNAMSIZ - 1)
            throw new DeviceConfigException($"--net: TAP name '{name}' is {nameBytes} bytes; an interface name has at most {IFNAMSIZ - 1}");

        int fd = Libc.Open(CloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) throw Failure(name, $"cannot open {CloneDevice}", Marshal.GetLastPInvokeError());
        var handle = new SafeFd(fd);
        try
        {
            var request = new IfReq { ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
            Encoding.UTF8.GetBytes(name, new Span<byte>(request.ifr_name, IFNAMSIZ - 1));
            if (Ioctl(fd, TUNSETIFF, &request) != 0) throw Failure(name, "TUNSETIFF", Marshal.GetLastPInvokeError());
            if (Ioctl(fd, TUNSETVNETHDRSZ, &vnetHeaderSize) != 0) throw Failure(name, "TUNSETVNETHDRSZ", Marshal.GetLastPInvokeError());
            string actual = Marshal.PtrToStringUTF8((nint)request.ifr_name) ?? name;
            return new Tap(handle, actual);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static DeviceConfigException Failure(string name, string step, int errno) =>
        new($"--net: cannot create TAP '{name}': {step} failed: {ErrorText(errno)}");

    /// <summary>The flags TUNGETIFF reports (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR ...).</summary>
    public short Flags
    {
        get
        {
            var request = new IfReq();
            if (Ioctl(Handle.Fd, TUNGETIFF, &request) != 0) throw NativeError.FromLastError("TUNGETIFF");
            return request.ifr_flags;
        }
    }

    /// <summary>The virtio-net header size the kernel puts in front of each frame (TUNGETVNETHDRSZ).</summary>
    public int VnetHeaderSize
    {
        get
        {
            int size;
            if (Ioctl(Handle.Fd, TUNGETVNETHDRSZ, &size) != 0) throw NativeError.FromLastError("TUNGETVNETHDRSZ");
            return size;
        }
    }

    /// <summary>Reads one frame into the buffers: its length, or -errno (-EAGAIN when there is none).</summary>
    internal long Read(IoVec* iov, int count)
    {
        while (true)
        {
            long n = Readv(Handle.Fd, iov, count);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return -errno;
        }
    }

    /// <summary>Writes one frame from the buffers: the bytes written, or -errno (-EAGAIN when the TAP has no room).</summary>
    internal long Write(IoVec* iov, int count)
    {
        while (true)
        {
            long n = Writev(Handle.Fd, iov, count);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) return -errno;
        }
    }

    public void Dispose() => Handle.Dispose();
}
