using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Core.Interop.Libc;
using static Glue.Devices.Net.TapLibc;

namespace Glue.Devices.Net;

/// <summary>
/// A virtio network device (virtio 1.2 §5.1) with one queue pair on a host <see cref="Tap"/>. Frames move
/// between the TAP and guest memory with readv/writev straight over the chains' buffers: nothing is copied
/// but the 12-byte header, and nothing is allocated per frame.
///
/// Transmit (queue 1): each chain is a virtio_net_hdr and a frame. The header sent to the TAP is the device's
/// own all-zero one (no offload was offered, so there is nothing in the driver's header the device may act on),
/// followed by the frame's buffers. Every chain is returned with used length 0; a frame the TAP refuses (link
/// down, malformed) is dropped, as a NIC drops a frame it cannot put on the wire. When the TAP has no room
/// (EAGAIN) the chain is put back and transmit waits for the TAP to become writable.
///
/// Receive (queue 0): the TAP fd is watched on the I/O thread from activation to reset, edge-triggered. When it
/// is readable, a receive chain is popped and the frame read into its writable buffers, the kernel's vnet header
/// landing where virtio-net's goes; the device then writes its header over it (flags 0, num_buffers 1: §5.1.6.4.1
/// without GUEST_CSUM and MRG_RXBUF). It reads until the TAP says EAGAIN, after which the next frame is an edge. When
/// the driver has no receive buffers, the device stops reading and asks for a kick (§2.7.10), as Firecracker and
/// crosvm do: the TAP stays watched, frames wait in its kernel queue (which drops beyond txqueuelen, as a host NIC's
/// ring would), a frame arriving meanwhile wakes the loop once and is left there, and reading resumes on the kick,
/// which owes nothing to an edge. No busy loop, no epoll_ctl per cycle, and no frame is dropped by the device itself
/// unless the driver's buffer cannot hold it: then the chain is returned with length 0, which the driver must discard.
/// </summary>
public sealed unsafe class VirtioNetDevice : IVirtioDevice, IVirtioDeviceTraits, ISnapshotPart, IDisposable
{
    public const ushort QueueSize = 256;

    /// <summary>The largest frame without segmentation offload: a TAP's MTU is at most 65535, plus its Ethernet header.</summary>
    public const int MaxFrameBytes = 65535 + 14;

    /// <summary>A receive buffer smaller than this cannot hold any frame: a header and an Ethernet header.</summary>
    private const int MinReceiveBytes = VirtioNet.HeaderSize + 14;

    /// <summary>The header the device writes in front of every received frame (see <see cref="VirtioNet.Header"/>).</summary>
    private static readonly VirtioNet.Header ReceiveHeader = new() { NumBuffers = 1 };

    private readonly Tap _tap;
    private readonly byte[] _config = new byte[VirtioNet.ConfigSize];
    // One iovec array per queue, made once: a chain has at most queue-size buffers (§2.7.5.3.1), and transmit
    // adds the device's header in front.
    private readonly IoVec[] _receiveIov = GC.AllocateArray<IoVec>(QueueSize, pinned: true);
    private readonly IoVec[] _transmitIov = GC.AllocateArray<IoVec>(QueueSize + 1, pinned: true);
    private readonly byte[] _transmitHeader = GC.AllocateArray<byte>(VirtioNet.HeaderSize, pinned: true);
    private readonly Action _onTapReady;
    private VirtioActivation? _activation;
    private EventRegistration? _tapEvents;   // the TAP on the I/O thread while active: readable, and writable while transmit waits
    private bool _receiveStopped;            // the driver had no receive buffers (or receiving failed): reading waits for its kick
    private bool _transmitWaits;             // the TAP had no room: transmit goes on when it is writable

    public VirtioNetDevice(Tap tap, MacAddress mac)
    {
        _tap = tap;
        Mac = mac;
        mac.CopyTo(_config);
        MemoryMarshal.Write(_config.AsSpan(MacAddress.Length), VirtioNet.VIRTIO_NET_S_LINK_UP);
        _onTapReady = OnTapReady;
    }

    public MacAddress Mac { get; private set; }

    /// <summary>
    /// The MAC the guest read from config space: a restore gives it back whatever `mac=` says now (the guest's driver
    /// knows it), as Firecracker does. The TAP is the one named at restore; frames in flight on it are the network's.
    /// </summary>
    public JsonObject Save() => new() { ["mac"] = Mac.ToString(), ["tap"] = TapName };

    public void Restore(JsonObject state)
    {
        string mac = state.String("mac");
        if (!MacAddress.TryParse(mac, out var saved)) throw new SnapshotException($"'mac' is '{mac}', not a MAC address");
        Mac = saved;
        saved.CopyTo(_config);
    }

    public string TapName => _tap.Name;

    // Counted on the I/O thread.
    public long FramesReceived { get; private set; }
    public long FramesSent { get; private set; }
    public long ReceiveDrops { get; private set; }
    public long TransmitDrops { get; private set; }

    /// <summary>True while the device waits for the driver to add receive buffers (and does not read the TAP).</summary>
    public bool WaitingForReceiveBuffers => _activation is not null && _receiveStopped;

    public uint DeviceId => VirtioIds.VIRTIO_ID_NET;

    public string Name => "net";

    public uint PciClass => PciClassCodes.PCI_CLASS_NETWORK_ETHERNET;

    /// <summary>One receive and one transmit queue: a pair (§5.1.2).</summary>
    public bool QueuesInPairs => true;

    /// <summary>The mac and link status describe the host's NIC, which the VMM owning the guest configures.</summary>
    public bool ConfigSetByOwner => true;

    public ulong Features => VirtioNet.Features;

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize, QueueSize];

    public int ConfigSize => VirtioNet.ConfigSize;

    public void ReadConfig(int offset, Span<byte> data) => _config.AsSpan(offset, data.Length).CopyTo(data);

    /// <summary>The MAC is read-only without VIRTIO_NET_F_CTRL_MAC_ADDR, and status always is (§5.1.4): writes are dropped.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) { }

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        // A frame already waiting in the TAP is reported at once: epoll_ctl ADD looks.
        _tapEvents = activation.IoThread.Register(_tap.Handle, _onTapReady, EventKinds.Readable | EventKinds.EdgeTriggered);
        StartReceiving(readNow: false);
    }

    public void QueueNotify(int queue)
    {
        if (_activation is null) return;
        if (queue == VirtioNet.TransmitQueue) Transmit();
        else if (queue == VirtioNet.ReceiveQueue && _receiveStopped) StartReceiving(readNow: true);
    }

    public void Reset()
    {
        _tapEvents?.Dispose();
        _tapEvents = null;
        _receiveStopped = false;
        _transmitWaits = false;
        _activation = null;
    }

    /// <summary>The TAP became readable, or writable while transmit waits for room: whichever it was, both are tried.</summary>
    private void OnTapReady()
    {
        if (_transmitWaits)
        {
            _transmitWaits = false;
            _tapEvents!.Watch(EventKinds.Readable | EventKinds.EdgeTriggered);
            Transmit();
        }
        if (!_receiveStopped) Receive();
    }

    // ---- Receive.

    /// <summary>
    /// Receives from now on; meanwhile the driver's receive kicks are not needed. On activation the TAP's next frame
    /// starts the reading; on the kick after the driver ran out of buffers it starts at once, since the frames left
    /// in the TAP make no new edge.
    /// </summary>
    private void StartReceiving(bool readNow)
    {
        var queue = _activation!.Queues[VirtioNet.ReceiveQueue];
        _receiveStopped = !queue.IsReady || queue.IsBroken;
        if (_receiveStopped) return;
        queue.DisableNotification();
        if (readNow) Receive();
    }

    /// <summary>The TAP is readable: moves frames into receive buffers until either runs out.</summary>
    private void Receive()
    {
        var activation = _activation!;
        var queue = activation.Queues[VirtioNet.ReceiveQueue];
        var iov = (IoVec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_receiveIov));
        bool used = false;
        while (true)
        {
            if (!queue.TryPop(out var chain))
            {
                if (queue.IsBroken)
                {
                    _receiveStopped = true;
                    break;
                }
                // No buffers: ask for a kick, then look once more for buffers the driver added meanwhile. Frames left
                // in the TAP are read on that kick, not on an edge, which only a new frame would make.
                if (queue.EnableNotification()) continue;
                _receiveStopped = true;
                break;
            }

            int count = Gather(chain.Writer, iov, QueueSize, VirtioNet.HeaderSize + MaxFrameBytes, out long capacity);
            if (capacity < MinReceiveBytes)
            {
                used |= Drop(queue, chain.Head);
                continue;
            }
            long n = _tap.Read(iov, count);
            if (n == -EAGAIN)
            {
                queue.UndoPop();
                break;
            }
            if (n < 0)
            {
                queue.UndoPop();
                _receiveStopped = true;
                activation.ReportDeviceError($"net: reading TAP {_tap.Name} failed: {ErrorText((int)-n)}");
                break;
            }
            // The TAP truncates a frame longer than the buffers and still returns its full length.
            if (n < VirtioNet.HeaderSize || n > capacity)
            {
                used |= Drop(queue, chain.Head);
                continue;
            }
            Scatter(MemoryMarshal.AsBytes(new ReadOnlySpan<VirtioNet.Header>(in ReceiveHeader)), iov, count);
            queue.AddUsed(chain.Head, (uint)n);
            FramesReceived++;
            used = true;
        }
        if (used) activation.SignalUsedIfNeeded(VirtioNet.ReceiveQueue);
    }

    /// <summary>A frame the buffer cannot hold: the buffer goes back empty (length 0), which the driver discards.</summary>
    private bool Drop(SplitQueue queue, ushort head)
    {
        ReceiveDrops++;
        return queue.AddUsed(head, 0);
    }

    // ---- Transmit.

    private void Transmit()
    {
        if (_transmitWaits) return;   // waiting for room: OnTapReady carries on
        var activation = _activation!;
        var queue = activation.Queues[VirtioNet.TransmitQueue];
        var iov = (IoVec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_transmitIov));
        iov[0] = new IoVec { iov_base = Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_transmitHeader)), iov_len = VirtioNet.HeaderSize };
        bool used = false;
        do
        {
            queue.DisableNotification();
            while (queue.TryPop(out var chain))
            {
                var reader = chain.Reader;
                if (reader.Length < VirtioNet.HeaderSize || reader.Length - VirtioNet.HeaderSize > MaxFrameBytes)
                {
                    TransmitDrops++;
                    used |= queue.AddUsed(chain.Head, 0);
                    continue;
                }
                reader.Advance(VirtioNet.HeaderSize);
                int count = 1 + Gather(reader, iov + 1, QueueSize, MaxFrameBytes, out _);
                long n = _tap.Write(iov, count);
                if (n == -EAGAIN)
                {
                    queue.UndoPop();
                    _transmitWaits = true;
                    _tapEvents!.Watch(EventKinds.Readable | EventKinds.Writable | EventKinds.EdgeTriggered);
                    if (used) activation.SignalUsedIfNeeded(VirtioNet.TransmitQueue);
                    return;
                }
                if (n < 0) TransmitDrops++;
                else FramesSent++;
                used |= queue.AddUsed(chain.Head, 0);
            }
        } while (queue.EnableNotification());
        if (used) activation.SignalUsedIfNeeded(VirtioNet.TransmitQueue);
    }

    // ---- Buffers as iovecs.

    /// <summary>
    /// Describes the writable buffers from the writer's position as iovecs, at most <paramref name="max"/> of them
    /// and <paramref name="limit"/> bytes; <paramref name="bytes"/> is their total.
    /// </summary>
    private static int Gather(ChainWriter writer, IoVec* iov, int max, long limit, out long bytes)
    {
        int count = 0;
        bytes = 0;
        while (count < max && bytes < limit)
        {
            var span = writer.GetSpan((int)Math.Min(int.MaxValue, limit - bytes));
            if (span.IsEmpty) break;
            iov[count++] = new IoVec { iov_base = Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), iov_len = (nuint)span.Length };
            bytes += span.Length;
            writer.Advance((ulong)span.Length);
        }
        return count;
    }

    /// <summary>The same for the readable buffers of a transmit chain.</summary>
    private static int Gather(ChainReader reader, IoVec* iov, int max, long limit, out long bytes)
    {
        int count = 0;
        bytes = 0;
        while (count < max && bytes < limit)
        {
            var span = reader.GetSpan((int)Math.Min(int.MaxValue, limit - bytes));
            if (span.IsEmpty) break;
            iov[count++] = new IoVec { iov_base = Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), iov_len = (nuint)span.Length };
            bytes += span.Length;
            reader.Advance((ulong)span.Length);
        }
        return count;
    }

    /// <summary>Copies <paramref name="source"/> to the start of the buffers, across them if the first is short.</summary>
    private static void Scatter(ReadOnlySpan<byte> source, IoVec* iov, int count)
    {
        for (int i = 0; i < count && !source.IsEmpty; i++)
        {
            int n = (int)Math.Min((nuint)source.Length, iov[i].iov_len);
            source[..n].CopyTo(new Span<byte>(iov[i].iov_base, n));
            source = source[n..];
        }
    }

    /// <summary>Closes the TAP, which removes the interface. The machine calls it once the I/O thread has stopped.</summary>
    public void Dispose() => _tap.Dispose();
}
