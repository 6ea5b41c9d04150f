using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Virtio.Events;

/// <summary>
/// An eventfd (eventfd(2)): a 64-bit counter behind an fd, the doorbell between threads and between KVM and
/// us (ioeventfd: a guest write becomes a signal; irqfd: a signal becomes a guest interrupt). Non-blocking,
/// so draining an empty one returns at once.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    public EventFd()
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0) throw NativeError.FromLastError("eventfd");
        Handle = new SafeFd(fd);
    }

    public SafeFd Handle { get; }

    /// <summary>Adds 1 to the counter, waking whoever polls it.</summary>
    public void Signal()
    {
        ulong one = 1;
        if (Libc.Write(Handle.Fd, &one, sizeof(ulong)) == sizeof(ulong)) return;
        int errno = Marshal.GetLastPInvokeError();
        // EAGAIN: the counter is at its maximum, so the reader is already woken; one more changes nothing.
        if (errno != Libc.EAGAIN) throw new NativeError("eventfd write", errno);
    }

    /// <summary>Reads and clears the counter: how many signals arrived since the last drain (0 if none).</summary>
    public ulong Drain()
    {
        ulong count;
        if (Libc.Read(Handle.Fd, &count, sizeof(ulong)) == sizeof(ulong)) return count;
        int errno = Marshal.GetLastPInvokeError();
        if (errno != Libc.EAGAIN) throw new NativeError("eventfd read", errno);
        return 0;
    }

    public void Dispose() => Handle.Dispose();
}
