using System.Diagnostics;
using Glue.Virtio;
using Glue.Virtio.Split;

namespace Glue.Devices.Block;

/// <summary>
/// One virtqueue's side of the block device: its reusable requests, how many are in flight, and completion (the
/// used element and, when the driver wants one, the interrupt) from whichever thread finished a request, as it
/// finishes. A <see cref="SplitQueue"/> is written for one thread; here the I/O thread pops while workers return
/// used elements, so every pop and every used element holds this queue's lock, which also orders them. The count in
/// flight is kept outside it: a request completes with one lock, and only a drain waiting for the last one is woken.
/// </summary>
internal sealed class BlockQueue
{
    /// <summary>Pause instructions between two looks at the ring while polling: a look takes the lock, a spin does not.</summary>
    private const int PollSpins = 16;

    private readonly object _gate = new();
    private readonly Stack<BlockRequest> _free = new();
    private readonly int _index;
    private readonly int _maxBuffers;
    private SplitQueue? _queue;
    private IVirtioInterrupts? _interrupts;
    private int _inFlight;
    private int _drainers;

    /// <param name="maxBuffers">The most data buffers one request can have: the longest chain the queue hands out.</param>
    public BlockQueue(int index, int maxBuffers)
    {
        _index = index;
        _maxBuffers = maxBuffers;
    }

    /// <summary>Requests taken and not yet returned.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The driver set DRIVER_OK (or a vhost-user ring runs): the queue to serve and where interrupts go.</summary>
    public void Attach(SplitQueue queue, IVirtioInterrupts interrupts)
    {
        lock (_gate)
        {
            _queue = queue;
            _interrupts = interrupts;
        }
    }

    /// <summary>Waits for every request in flight to complete, then forgets the queue; the next use is after <see cref="Attach"/>.</summary>
    public void Detach()
    {
        Drain();
        lock (_gate)
        {
            _queue = null;
            _interrupts = null;
        }
    }

    /// <summary>Waits until no request is in flight: each has its used element (the used ring is final).</summary>
    public void Drain()
    {
        lock (_gate)
        {
            // Interlocked both here and in Complete: each side stores, then loads what the other stored.
            Interlocked.Increment(ref _drainers);
            while (Volatile.Read(ref _inFlight) > 0) Monitor.Wait(_gate);
            Interlocked.Decrement(ref _drainers);
        }
    }

    public void DisableNotification() => _queue?.DisableNotification();

    /// <summary>I/O thread only; see <see cref="SplitQueue.EnableNotification"/>.</summary>
    public bool EnableNotification() => _queue?.EnableNotification() ?? false;

    /// <summary>
    /// Polls the ring for up to <paramref name="window"/> Stopwatch ticks with notifications still off: true as soon as
    /// the driver makes a chain available, false when the window passes without one (or the queue is gone).
    /// </summary>
    public bool AwaitAvailable(long window)
    {
        if (window <= 0) return false;
        long end = Stopwatch.GetTimestamp() + window;
        do
        {
            lock (_gate)
            {
                if (_queue is null) return false;
                if (_queue.HasAvailable()) return true;
            }
            Thread.SpinWait(PollSpins);
        } while (Stopwatch.GetTimestamp() < end);
        return false;
    }

    /// <summary>The next chain; it stays valid until the next pop, which only the I/O thread does.</summary>
    public bool TryPop(out DescriptorChain? chain)
    {
        lock (_gate)
        {
            chain = null;
            return _queue is not null && _queue.TryPop(out chain);
        }
    }

    /// <summary>
    /// A request for a chain just popped, counted in flight until <see cref="Complete"/>. Requests are made when none
    /// is free, so there are as many as were ever in flight at once (a ring's worth at most: a request is free again
    /// with its used element), and reused: the steady state allocates nothing.
    /// </summary>
    public BlockRequest Take(ushort head)
    {
        lock (_gate)
        {
            if (!_free.TryPop(out var request)) request = new BlockRequest(this, _maxBuffers);
            request.Head = head;
            Interlocked.Increment(ref _inFlight);
            return request;
        }
    }

    /// <summary>
    /// A request finished (its status byte written): used, the request free again, the driver interrupted if it asked.
    /// A request is counted in flight until after its interrupt, so a reset that drained the queue sees no interrupt after it.
    /// </summary>
    public void Complete(BlockRequest request, uint used)
    {
        IVirtioInterrupts? notify;
        lock (_gate)
        {
            notify = AddUsed(request.Head, used);
            _free.Push(request);
        }
        notify?.SignalUsedBuffers(_index);
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _drainers) > 0)
        {
            lock (_gate) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A chain answered at once, on the I/O thread, without becoming a request.</summary>
    public void Answer(ushort head, uint used)
    {
        IVirtioInterrupts? notify;
        lock (_gate) notify = AddUsed(head, used);
        notify?.SignalUsedBuffers(_index);
    }

    /// <summary>The used element; where to interrupt when the driver wants an interrupt for it (sent outside the lock).</summary>
    private IVirtioInterrupts? AddUsed(ushort head, uint used)
    {
        if (_queue is null) return null;
        _queue.AddUsed(head, used);
        return _queue.NeedsNotification() ? _interrupts : null;
    }
}
