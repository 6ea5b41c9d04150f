using System.Runtime.InteropServices;

namespace Glue.Virtio.Events;

/// <summary>Which readiness of an fd an <see cref="EventLoop"/> watches for (level-triggered, as epoll does by default).</summary>
[Flags]
public enum EventKinds : uint
{
    Readable = EventLibc.EPOLLIN,
    Writable = EventLibc.EPOLLOUT,

    /// <summary>
    /// Edge-triggered (epoll(7)): the callback runs when the fd becomes ready again (new data, new room), not as long
    /// as it is ready, so a device may leave it unread for a while without the loop spinning. The device then owes
    /// itself the reading until EAGAIN, or a wakeup of its own, before it can count on the next edge.
    /// </summary>
    EdgeTriggered = EventLibc.EPOLLET,
}

/// <summary>
/// One fd watched by an <see cref="EventLoop"/> and the callback it runs. Disposing it stops the watch: on the
/// loop thread the callback will not run again; from another thread a callback already running may finish.
/// The registration holds a reference on the fd's handle, so the fd cannot be closed (and its number reused)
/// while the loop still watches it.
/// </summary>
public sealed class EventRegistration : IDisposable
{
    private readonly EventLoop _loop;

    internal EventRegistration(EventLoop loop, SafeHandle fd, Action callback, int slot, uint generation)
    {
        _loop = loop;
        Fd = fd;
        Callback = callback;
        Slot = slot;
        Generation = generation;
    }

    internal SafeHandle Fd { get; }
    internal Action Callback { get; }
    internal int Slot { get; }
    internal uint Generation { get; }

    /// <summary>epoll_event.data: the slot, and a generation so a stale event for a reused slot is recognised.</summary>
    internal ulong Key => (ulong)Generation << 32 | (uint)Slot;

    /// <summary>Watches the fd for <paramref name="kinds"/> from now on (epoll_ctl MOD: no allocation); an fd ready for them at once is reported.</summary>
    public void Watch(EventKinds kinds) => _loop.Modify(this, kinds);

    public void Dispose() => _loop.Unregister(this);
}
