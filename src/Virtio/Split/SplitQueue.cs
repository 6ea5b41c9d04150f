using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Virtio.Split;

/// <summary>
/// The device side of one split virtqueue (virtio 1.2 §2.7) in guest memory. It knows nothing of devices or
/// transports: a transport writes the driver's configuration into it and enables it; a device pops chains,
/// returns them as used and asks whether the driver wants an interrupt.
///
/// Threads: configuration happens while the queue is not ready (on the thread of the register access); after
/// that one thread, the device's I/O thread, owns the device side. Nothing here locks.
///
/// Malformed input never throws. When the driver breaks a rule (a bad ring, a bad chain, a runaway avail idx)
/// the queue records a <see cref="QueueFault"/>, calls the broken callback once, and hands out nothing more
/// until it is reset. A broken chain is not failed on its own: its buffers cannot be trusted to carry a status
/// back, the fault means the driver's state is corrupt, and §2.1.2 gives the answer for that,
/// DEVICE_NEEDS_RESET, which <see cref="VirtioDeviceState"/> sets from the callback.
///
/// One notification may take at most Size chains (<see cref="RefillBudget"/>): a driver that keeps making chains
/// available as fast as the device uses them (or a used ring laid over the avail ring, where each used idx the
/// device publishes makes one more chain available) would otherwise hold the I/O thread forever. When the budget
/// runs out the queue pops nothing more and calls its owner's re-arm callback, which notifies the device again
/// through the event loop, after every other ready fd had its turn: the rest is deferred, not lost.
/// </summary>
public sealed class SplitQueue
{
    private readonly GuestMemory _memory;
    private readonly Action<SplitQueue>? _broken;
    private readonly Action<SplitQueue>? _rearm;
    private readonly DescriptorChain _chain;
    // Which heads the device holds: a head made available again before it was used is a driver bug we catch,
    // and a head returned twice is a device bug we refuse.
    private readonly bool[] _inFlight;

    private bool _eventIdx;
    private bool _indirect;
    private ushort _nextAvail;        // the next avail ring entry to take
    private ushort _nextUsed;         // the next used ring entry to fill (the used idx we publish)
    private ushort _signalledUsed;    // _nextUsed when NeedsNotification last ran
    private bool _signalledUsedValid; // false until then: the first check always notifies
    private int _lastPopped = -1;     // the head UndoPop gives back
    private int _budget;              // chains this notification may still pop
    private bool _deferred;           // the budget ran out and the owner was asked to re-arm

    /// <param name="maxSize">The largest size the device supports (a power of 2, at most 32768).</param>
    /// <param name="broken">Called once, on the faulting thread, when the queue records a fault.</param>
    /// <param name="rearm">
    /// Called on the I/O thread when a notification's budget ran out: the owner must notify the device of this
    /// queue again from its event loop (signal the queue's kick eventfd) and call <see cref="RefillBudget"/> then.
    /// Without one, the budget is never enforced (a test's queue driven by hand).
    /// </param>
    public SplitQueue(GuestMemory memory, ushort maxSize, Action<SplitQueue>? broken = null, Action<SplitQueue>? rearm = null)
    {
        if (maxSize == 0 || maxSize > MaxQueueSize || !ushort.IsPow2(maxSize))
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "a queue's maximum size is a power of 2 up to 32768");
        _memory = memory;
        _broken = broken;
        _rearm = rearm;
        MaxSize = maxSize;
        _chain = new DescriptorChain(memory, maxSize);
        _inFlight = new bool[maxSize];
        Size = maxSize;
    }

    /// <summary>The largest size the device supports (MMIO QueueNumMax; PCI queue_size's initial value).</summary>
    public ushort MaxSize { get; }

    // ---- Driver-set configuration (§2.7; MMIO QueueNum/QueueDesc/QueueDriver/QueueDevice, PCI common config).
    // Writes while the queue is ready are ignored: a driver configures a queue before it enables it (§3.1.1 step 7).

    /// <summary>Queue Size as the driver set it; checked (non-zero, ≤ max, power of 2) when the queue is enabled.</summary>
    public ushort Size { get; set => field = IsReady ? field : value; }

    /// <summary>The descriptor area: the descriptor table (16-byte aligned).</summary>
    public GuestAddress DescTable { get; set => field = IsReady ? field : value; }

    /// <summary>The driver area: the available ring (2-byte aligned).</summary>
    public GuestAddress AvailRing { get; set => field = IsReady ? field : value; }

    /// <summary>The device area: the used ring (4-byte aligned).</summary>
    public GuestAddress UsedRing { get; set => field = IsReady ? field : value; }

    /// <summary>True once the driver enabled the queue (QueueReady / queue_enable), even if enabling found a fault.</summary>
    public bool IsReady { get; private set; }

    /// <summary>What broke the queue, or <see cref="QueueFault.None"/>.</summary>
    public QueueFault Fault { get; private set; }

    public bool IsBroken => Fault != QueueFault.None;

    /// <summary>The avail ring index of the next chain to pop (vhost-user's vring base).</summary>
    public ushort NextAvail => _nextAvail;

    /// <summary>The used ring index the device will fill next: the used idx it has published.</summary>
    public ushort NextUsed => _nextUsed;

    /// <summary>
    /// Where the rings stand before the queue is enabled, for a queue that did not start at 0 (vhost-user's
    /// SET_VRING_BASE, a restored snapshot). Ignored while the queue is ready.
    /// </summary>
    public void SetIndices(ushort nextAvail, ushort nextUsed)
    {
        if (IsReady) return;
        _nextAvail = nextAvail;
        _nextUsed = nextUsed;
    }

    /// <summary>
    /// The driver's "queue ready": checks the configuration against guest memory and the negotiated features
    /// (VIRTIO_F_EVENT_IDX adds a field to each ring, VIRTIO_F_INDIRECT_DESC allows indirect tables). Returns
    /// false, and the queue is broken, when the configuration cannot be used.
    /// </summary>
    public bool Enable(ulong negotiatedFeatures)
    {
        if (IsReady) return !IsBroken;
        IsReady = true;
        _eventIdx = VirtioFeatures.Has(negotiatedFeatures, VirtioFeatures.VIRTIO_F_EVENT_IDX);
        _indirect = VirtioFeatures.Has(negotiatedFeatures, VirtioFeatures.VIRTIO_F_INDIRECT_DESC);

        if (Size == 0 || Size > MaxSize || !ushort.IsPow2(Size)) return Break(QueueFault.SizeInvalid);
        if (DescTable.Value % DescTableAlignment != 0 || AvailRing.Value % AvailRingAlignment != 0 ||
            UsedRing.Value % UsedRingAlignment != 0)
            return Break(QueueFault.RingMisaligned);
        if (!_memory.TryGetSpan(DescTable, DescTableBytes(Size), out _) ||
            !_memory.TryGetSpan(AvailRing, AvailRingBytes(Size, _eventIdx), out _) ||
            !_memory.TryGetSpan(UsedRing, UsedRingBytes(Size, _eventIdx), out _))
            return Break(QueueFault.RingOutsideMemory);
        if (RingsOverlap(DescTable, AvailRing, UsedRing, Size, _eventIdx)) return Break(QueueFault.RingsOverlap);
        _budget = Size;
        return true;
    }

    /// <summary>
    /// True when any two of the three areas share a byte, at their spec sizes for <paramref name="size"/>
    /// entries. The spec lets the driver place them anywhere; overlapping areas can only be a driver bug or an
    /// attack (the device would write its used ring over what the driver publishes).
    /// </summary>
    public static bool RingsOverlap(GuestAddress desc, GuestAddress avail, GuestAddress used, int size, bool eventIdx)
    {
        ulong descEnd = desc.Value + (ulong)DescTableBytes(size);
        ulong availEnd = avail.Value + (ulong)AvailRingBytes(size, eventIdx);
        ulong usedEnd = used.Value + (ulong)UsedRingBytes(size, eventIdx);
        return Overlap(desc.Value, descEnd, avail.Value, availEnd) || Overlap(desc.Value, descEnd, used.Value, usedEnd) ||
               Overlap(avail.Value, availEnd, used.Value, usedEnd);
    }

    private static bool Overlap(ulong aStart, ulong aEnd, ulong bStart, ulong bEnd) => aStart < bEnd && bStart < aEnd;

    /// <summary>
    /// A notification for this queue arrived (a driver kick, or the re-arm the queue asked for): the device may
    /// pop up to Size chains again before the queue defers the rest.
    /// </summary>
    public void RefillBudget()
    {
        _budget = Size;
        _deferred = false;
    }

    /// <summary>Back to the state after construction: not ready, size at the maximum, addresses zero, no fault (§2.4).</summary>
    public void Reset()
    {
        IsReady = false;
        Size = MaxSize;
        DescTable = default;
        AvailRing = default;
        UsedRing = default;
        Fault = QueueFault.None;
        _eventIdx = false;
        _indirect = false;
        _nextAvail = 0;
        _nextUsed = 0;
        _signalledUsed = 0;
        _signalledUsedValid = false;
        _lastPopped = -1;
        _budget = 0;
        _deferred = false;
        Array.Clear(_inFlight);
    }

    // ---- The device side.

    /// <summary>
    /// Takes the next available chain. False when there is none, when the queue is not ready or broken (check
    /// <see cref="Fault"/>), or when this notification's budget is spent (the queue has asked to be re-armed).
    /// The chain is the queue's one reusable chain object: valid until the next pop.
    /// </summary>
    public bool TryPop([NotNullWhen(true)] out DescriptorChain? chain)
    {
        chain = null;
        if (!IsReady || IsBroken || _deferred) return false;

        // Acquire: the ring entries and descriptors the driver wrote before publishing idx must be read after it.
        if (!TryRing(AvailRing, 2, 2, out var idxBytes)) return Break(QueueFault.RingOutsideMemory);
        ushort availIdx = Volatile.Read(ref AsUInt16(idxBytes));
        ushort pending = (ushort)(availIdx - _nextAvail);
        if (pending == 0) return false;
        // A driver can make at most Size chains available at once; more means idx is garbage (§2.7.6 and
        // the driver's own limit of Size descriptors), and trusting it would make us loop over old entries.
        if (pending > Size) return Break(QueueFault.AvailIndexJump);

        if (!TryRing(AvailRing, RingHeaderSize + 2 * (_nextAvail % Size), 2, out var entry)) return Break(QueueFault.RingOutsideMemory);
        ushort head = MemoryMarshal.Read<ushort>(entry);
        if (head >= Size) return Break(QueueFault.HeadOutOfRange);
        if (_inFlight[head]) return Break(QueueFault.HeadInFlight);
        if (_rearm is not null && _budget == 0)
        {
            _deferred = true;
            _rearm(this);
            return false;
        }

        var fault = _chain.Load(DescTable, Size, head, _indirect);
        if (fault != QueueFault.None) return Break(fault);

        _inFlight[head] = true;
        _lastPopped = head;
        _nextAvail++;
        _budget--;
        chain = _chain;
        return true;
    }

    /// <summary>
    /// True when the driver has made a chain available that <see cref="TryPop"/> has not taken yet: one load of
    /// avail idx, for a device that polls the ring a while before it asks for a notification again.
    /// </summary>
    public bool HasAvailable()
    {
        if (!IsReady || IsBroken || _deferred) return false;
        return TryRing(AvailRing, 2, 2, out var idxBytes) && Volatile.Read(ref AsUInt16(idxBytes)) != _nextAvail;
    }

    /// <summary>
    /// Puts the chain just popped back, for a device that found it had nothing to do with it yet (a network
    /// device with a receive buffer and no packet). Only the last pop can be undone, and only once.
    /// </summary>
    public void UndoPop()
    {
        if (_lastPopped < 0 || !_inFlight[_lastPopped]) throw new InvalidOperationException("there is no popped chain to put back");
        _inFlight[_lastPopped] = false;
        _lastPopped = -1;
        _nextAvail--;
        _budget++;
    }

    /// <summary>
    /// Returns chain <paramref name="head"/> to the driver with <paramref name="length"/> bytes written
    /// (§2.7.8), and publishes the new used idx. False when the queue is not ready or broken (the answer is
    /// dropped: the driver will reset) or when <paramref name="head"/> is not a chain the device holds (a
    /// device bug; nothing is written).
    /// </summary>
    public bool AddUsed(ushort head, uint length)
    {
        if (!IsReady || IsBroken || head >= Size || !_inFlight[head]) return false;
        if (!TryRing(UsedRing, RingHeaderSize + UsedElementSize * (_nextUsed % Size), UsedElementSize, out var element) ||
            !TryRing(UsedRing, 2, 2, out var idxBytes))
            return Break(QueueFault.RingOutsideMemory);

        MemoryMarshal.Write(element, new UsedElement(head, length));
        _inFlight[head] = false;
        if (_lastPopped == head) _lastPopped = -1;
        _nextUsed++;
        // Release: the element (and the data the device wrote into the buffers) must be visible before the
        // driver can see the new idx (§2.7.8: "set len prior to updating the used idx").
        Volatile.Write(ref AsUInt16(idxBytes), _nextUsed);
        return true;
    }

    /// <summary>
    /// After adding used elements: should the driver get a used buffer notification (§2.7.7)? With
    /// VIRTIO_F_EVENT_IDX, only when the used idx moved past used_event since the last call; else unless the
    /// driver set VIRTQ_AVAIL_F_NO_INTERRUPT. Call once per batch: it remembers where it last answered.
    /// </summary>
    public bool NeedsNotification()
    {
        if (!IsReady || IsBroken) return false;
        // Full fence: our used idx store must be visible before we load the driver's used_event/flags, or the
        // driver may have decided it needs no interrupt from an idx it had not seen yet while we decide from a
        // used_event it has already moved on (store then load needs mfence even on x86).
        Interlocked.MemoryBarrier();

        if (!_eventIdx)
        {
            if (!TryRing(AvailRing, 0, 2, out var flags)) return Break(QueueFault.RingOutsideMemory);
            return (Volatile.Read(ref AsUInt16(flags)) & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
        }

        if (!TryRing(AvailRing, RingHeaderSize + 2 * Size, 2, out var usedEventBytes)) return Break(QueueFault.RingOutsideMemory);
        ushort usedEvent = Volatile.Read(ref AsUInt16(usedEventBytes));
        ushort old = _signalledUsed;
        bool valid = _signalledUsedValid;
        _signalledUsed = _nextUsed;
        _signalledUsedValid = true;
        return !valid || NeedEvent(usedEvent, _nextUsed, old);
    }

    /// <summary>
    /// Asks the driver not to notify (kick) while the device is draining the queue (§2.7.10): sets
    /// VIRTQ_USED_F_NO_NOTIFY. With VIRTIO_F_EVENT_IDX there is nothing to do: the driver kicks once when it
    /// passes avail_event, and avail_event stays put until <see cref="EnableNotification"/>.
    /// </summary>
    public void DisableNotification()
    {
        if (!IsReady || IsBroken || _eventIdx) return;
        if (TryRing(UsedRing, 0, 2, out var flags)) Volatile.Write(ref AsUInt16(flags), VIRTQ_USED_F_NO_NOTIFY);
    }

    /// <summary>
    /// Asks the driver to notify again (clears VIRTQ_USED_F_NO_NOTIFY, or sets avail_event to the next entry
    /// we will take) and returns true when chains arrived meanwhile, in which case the device pops again
    /// instead of waiting: the driver may have added them while notifications were still off. False while the
    /// budget is spent: the re-arm brings the device back.
    /// </summary>
    public bool EnableNotification()
    {
        if (!IsReady || IsBroken) return false;
        bool written = _eventIdx
            ? TryWriteRing(UsedRing, RingHeaderSize + UsedElementSize * Size, _nextAvail)
            : TryWriteRing(UsedRing, 0, 0);
        if (!written) return Break(QueueFault.RingOutsideMemory);
        // Full fence: the store above must be visible before we load avail idx. Otherwise a driver that
        // publishes a chain just now may read the old flags/avail_event and not kick, while we read the old
        // idx and go to sleep: the chain would wait for the next unrelated kick.
        Interlocked.MemoryBarrier();
        if (!TryRing(AvailRing, 2, 2, out var idxBytes)) return Break(QueueFault.RingOutsideMemory);
        return Volatile.Read(ref AsUInt16(idxBytes)) != _nextAvail && !_deferred;
    }

    // ---- Ring access. The rings were checked against guest RAM in Enable, so these lookups only fail if
    // that check was wrong; they still answer with a fault rather than an exception.

    private bool TryRing(GuestAddress ring, int offset, int length, out Span<byte> bytes) =>
        _memory.TryGetSpan(new GuestAddress(ring.Value + (ulong)offset), length, out bytes);

    private bool TryWriteRing(GuestAddress ring, int offset, ushort value)
    {
        if (!_memory.TryGetSpan(new GuestAddress(ring.Value + (ulong)offset), 2, out var bytes)) return false;
        Volatile.Write(ref AsUInt16(bytes), value);
        return true;
    }

    private static ref ushort AsUInt16(Span<byte> bytes) => ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(bytes));

    /// <summary>Records the first fault, tells the owner once, and answers false for the caller to return.</summary>
    private bool Break(QueueFault fault)
    {
        if (IsBroken) return false;
        Fault = fault;
        _broken?.Invoke(this);
        return false;
    }

    /// <summary>struct virtq_used_elem (§2.7.8): le32 id (the head), le32 len (bytes written).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct UsedElement(uint Id, uint Len);
}
