using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Core.Interop.Libc;
using static Glue.Virtio.Events.EventLibc;

namespace Glue.Virtio.Events;

/// <summary>
/// One I/O thread: epoll over registered fds, each with a callback registered once. Dispatching an event
/// allocates nothing. <see cref="Invoke"/> runs control work (activate, reset) on the thread and waits for it,
/// so everything a device does happens on this one thread.
///
/// Glue gives each virtio device its own loop: a disk stalled in a slow read or fsync then delays only that
/// disk, never the network or the console, and a device needs no locks. A thread per device is cheap at the
/// handful of devices a VM has; a shared loop would need every device to be non-blocking to be fair.
///
/// A callback that throws is a bug in the device: the exception is not caught, so the process fails loudly
/// rather than leaving a guest waiting on a device whose thread has died.
/// </summary>
public sealed unsafe class EventLoop : IDisposable
{
    private const ulong WakeKey = ulong.MaxValue;
    private const int MaxEventsPerWait = 16;

    private readonly SafeFd _epoll;
    private readonly EventFd _wake = new();
    private readonly Thread _thread;
    private readonly object _gate = new();
    private readonly Queue<WorkItem> _work = new();
    private EventRegistration?[] _slots = new EventRegistration?[8];
    private uint _generation;
    private bool _exited;              // under _gate: the thread has left its loop
    private volatile bool _stopping;
    private bool _disposed;

    public EventLoop(string name)
    {
        int fd = EpollCreate1(EPOLL_CLOEXEC);
        if (fd < 0) throw NativeError.FromLastError("epoll_create1");
        _epoll = new SafeFd(fd);
        EpollAdd(_wake.Handle.Fd, EventLibc.EPOLLIN, WakeKey);
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public string Name => _thread.Name ?? "";

    /// <summary>True until the thread has stopped.</summary>
    public bool IsRunning => _thread.IsAlive;

    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Watches <paramref name="fd"/>; <paramref name="callback"/> runs on the loop thread each time it is ready.</summary>
    public EventRegistration Register(SafeHandle fd, Action callback, EventKinds kinds = EventKinds.Readable)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        bool referenced = false;
        fd.DangerousAddRef(ref referenced);
        try
        {
            lock (_gate)
            {
                int slot = Array.IndexOf(_slots, null);
                if (slot < 0)
                {
                    slot = _slots.Length;
                    Array.Resize(ref _slots, slot * 2);
                }
                var registration = new EventRegistration(this, fd, callback, slot, ++_generation);
                EpollAdd((int)fd.DangerousGetHandle(), (uint)kinds, registration.Key);
                _slots[slot] = registration;
                return registration;
            }
        }
        catch
        {
            if (referenced) fd.DangerousRelease();
            throw;
        }
    }

    internal void Unregister(EventRegistration registration)
    {
        lock (_gate)
        {
            if (registration.Slot >= _slots.Length || _slots[registration.Slot] != registration) return;
            _slots[registration.Slot] = null;
            // A closed epoll (after Dispose) has already forgotten the fd.
            if (!_epoll.IsClosed) EpollCtl(_epoll.Fd, EPOLL_CTL_DEL, (int)registration.Fd.DangerousGetHandle(), null);
        }
        registration.Fd.DangerousRelease();
    }

    internal void Modify(EventRegistration registration, EventKinds kinds)
    {
        var ev = new epoll_event { events = (uint)kinds, data = registration.Key };
        lock (_gate)
        {
            if (registration.Slot >= _slots.Length || _slots[registration.Slot] != registration)
                throw new InvalidOperationException($"event loop {Name}: the registration was removed");
            if (EpollCtl(_epoll.Fd, EPOLL_CTL_MOD, (int)registration.Fd.DangerousGetHandle(), &ev) != 0)
                throw NativeError.FromLastError("epoll_ctl mod");
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread and waits for it; its exception is rethrown here. On
    /// the loop thread itself it runs at once. Throws when the loop has stopped.
    /// </summary>
    public void Invoke(Action action)
    {
        if (IsOnLoopThread)
        {
            action();
            return;
        }
        using var item = new WorkItem(action);
        lock (_gate)
        {
            if (_exited || _stopping) throw new InvalidOperationException($"event loop {Name} has stopped");
            _work.Enqueue(item);
        }
        _wake.Signal();
        item.Done.Wait();
        item.Error?.Throw();
    }

    /// <summary>
    /// Runs <paramref name="first"/> on the thread, then keeps the thread waiting, running nothing, until the returned
    /// hold is disposed: a snapshot stops a device this way while guest RAM is written. Not from the loop thread.
    /// </summary>
    public IDisposable Hold(Action first)
    {
        if (IsOnLoopThread) throw new InvalidOperationException("an event loop cannot hold itself");
        var release = new ManualResetEventSlim();
        var held = new ManualResetEventSlim();
        ExceptionDispatchInfo? error = null;
        var item = new WorkItem(() =>
        {
            try
            {
                first();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            held.Set();
            if (error is null) release.Wait();
        });
        lock (_gate)
        {
            if (_exited || _stopping) throw new InvalidOperationException($"event loop {Name} has stopped");
            _work.Enqueue(item);
        }
        _wake.Signal();
        held.Wait();
        held.Dispose();
        if (error is not null)
        {
            release.Dispose();
            error.Throw();
        }
        return new LoopHold(release);
    }

    /// <summary>Lets a held loop go on; the event it waits on is left to the collector, as the thread may still be waking.</summary>
    private sealed class LoopHold(ManualResetEventSlim release) : IDisposable
    {
        public void Dispose() => release.Set();
    }

    /// <summary>Ends the loop after the callback in progress; from another thread, waits for the thread to end.</summary>
    public void Stop()
    {
        if (_disposed) return;
        _stopping = true;
        _wake.Signal();
        if (!IsOnLoopThread) _thread.Join();
    }

    private void Run()
    {
        Core.Sandbox.SeccompFilters.Enter(Core.Sandbox.ThreadKind.DeviceIo);
        var events = stackalloc epoll_event[MaxEventsPerWait];
        while (!_stopping)
        {
            int count = EpollWait(_epoll.Fd, events, MaxEventsPerWait, -1);
            if (count < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                throw new NativeError("epoll_wait", errno);
            }
            for (int i = 0; i < count && !_stopping; i++)
            {
                if (events[i].data == WakeKey)
                {
                    _wake.Drain();
                    RunQueuedWork();
                }
                else
                {
                    CallbackFor(events[i].data)?.Invoke();
                }
            }
        }

        lock (_gate) _exited = true;
        // Work queued while we were stopping will never run: release its callers with an error.
        while (TryDequeue(out var item))
        {
            item.Error = ExceptionDispatchInfo.Capture(new InvalidOperationException($"event loop {Name} has stopped"));
            item.Done.Set();
        }
    }

    /// <summary>The callback of a still-registered key; null for a registration removed after epoll reported it.</summary>
    private Action? CallbackFor(ulong key)
    {
        int slot = (int)(uint)key;
        uint generation = (uint)(key >> 32);
        lock (_gate)
        {
            var registration = slot < _slots.Length ? _slots[slot] : null;
            return registration?.Generation == generation ? registration.Callback : null;
        }
    }

    private void RunQueuedWork()
    {
        while (TryDequeue(out var item))
        {
            try
            {
                item.Action();
            }
            catch (Exception e)
            {
                item.Error = ExceptionDispatchInfo.Capture(e);
            }
            item.Done.Set();
        }
    }

    private bool TryDequeue(out WorkItem item)
    {
        lock (_gate) return _work.TryDequeue(out item!);
    }

    private void EpollAdd(int fd, uint events, ulong key)
    {
        var ev = new epoll_event { events = events, data = key };
        if (EpollCtl(_epoll.Fd, EPOLL_CTL_ADD, fd, &ev) != 0) throw NativeError.FromLastError($"epoll_ctl add fd {fd}");
    }

    /// <summary>Stops the loop, stops watching every fd and closes the epoll fd. Not from the loop thread.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (IsOnLoopThread) throw new InvalidOperationException("an event loop cannot dispose itself from its own thread");
        Stop();
        _disposed = true;
        EventRegistration?[] slots;
        lock (_gate)
        {
            slots = _slots;
            _slots = [];
        }
        foreach (var registration in slots) registration?.Fd.DangerousRelease();
        _epoll.Dispose();
        _wake.Dispose();
    }

    /// <summary>A queued <see cref="Invoke"/>: the action, its outcome, and the event its caller waits on.</summary>
    private sealed class WorkItem(Action action) : IDisposable
    {
        public Action Action { get; } = action;
        public ManualResetEventSlim Done { get; } = new();
        public ExceptionDispatchInfo? Error { get; set; }
        public void Dispose() => Done.Dispose();
    }
}
