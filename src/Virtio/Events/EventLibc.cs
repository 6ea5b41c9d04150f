using System.Runtime.InteropServices;

namespace Glue.Virtio.Events;

/// <summary>
/// The epoll calls behind <see cref="EventLoop"/> (sys/epoll.h). Each returns -1 and sets errno on failure;
/// eventfd, read and write are Glue.Core's <see cref="Glue.Core.Interop.Libc"/>.
/// </summary>
internal static unsafe partial class EventLibc
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLET = 1u << 31;

    /// <summary>
    /// struct epoll_event. x86-64 declares it __attribute__((packed)): 12 bytes, data right after events.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct epoll_event
    {
        public uint events;
        public ulong data;
    }




    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, epoll_event* ev);

    /// <summary>Returns the number of ready events, 0 on timeout, -1 on error (EINTR when a signal arrived).</summary>
    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, epoll_event* events, int maxevents, int timeout);
}
