using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Transports.VhostUser.VhostUserProtocol;
using static Glue.Transports.VhostUser.VhostUserRequest;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The backend side of vhost-user for one <see cref="IVirtioDevice"/>: it answers the frontend's requests, keeps
/// the memory table, builds the device's <see cref="SplitQueue"/>s from the rings the frontend describes, starts
/// and stops them, watches the kick eventfds and writes the call eventfds (its <see cref="IVirtioInterrupts"/>).
///
/// Threads: everything here, <see cref="Handle"/> included, runs on the device's I/O thread (the session
/// <see cref="EventLoop.Invoke"/>s each message onto it), so the device, its queues and the rings are only ever
/// touched from that one thread and nothing locks.
///
/// The device is activated when its first ring runs (started and enabled); rings that start later join the
/// running device. When the last ring stops (GET_VRING_BASE), or the frontend goes away, the device is reset.
/// Every request is checked before it changes anything; a refused one returns a reason and changes nothing.
///
/// A queue whose notification budget ran out (see <see cref="SplitQueue"/>) is re-armed through an eventfd of
/// the backend's own rather than the frontend's kick fd, which the backend only reads.
/// </summary>
public sealed partial class VhostUserBackend : IVirtioInterrupts, IDisposable
{
    private readonly IVirtioDevice _device;
    private readonly EventLoop _loop;
    private readonly Action<string> _log;
    private readonly Func<SafeFd, string?>? _displaySocket;
    private readonly Vring[] _rings;
    private readonly EventFd[] _rearms;
    private readonly EventRegistration[] _rearmWatches;
    private readonly bool _allowUnsealedMemory;
    private VhostUserMemory? _memory;
    private SplitQueue[] _queues = [];
    private VirtioActivation? _activation;
    private ulong _features;            // SET_FEATURES, as far as we offered them
    private ulong _protocolFeatures;    // SET_PROTOCOL_FEATURES, as far as we offered them

    /// <param name="allowUnsealedMemory">Accept memory table fds not sealed against shrinking (see <see cref="VhostUserMemory.FromMessage"/>).</param>
    /// <param name="displaySocket">Takes the fd of GPU_SET_SOCKET (see <see cref="IVirtioBackendFeature.Listen"/>); null refuses the request.</param>
    public VhostUserBackend(IVirtioDevice device, EventLoop loop, Action<string> log, bool allowUnsealedMemory = false, Func<SafeFd, string?>? displaySocket = null)
    {
        _device = device;
        _loop = loop;
        _log = log;
        _allowUnsealedMemory = allowUnsealedMemory;
        _displaySocket = displaySocket;
        _rings = device.QueueMaxSizes.Select(max => new Vring(max)).ToArray();
        _rearms = _rings.Select(_ => new EventFd()).ToArray();
        _rearmWatches = _rearms.Select((rearm, index) => loop.Register(rearm.Handle, () => OnRearm(index))).ToArray();
        OfferedFeatures = device.Features | VirtioFeatures.Core | 1UL << VHOST_USER_F_PROTOCOL_FEATURES;
        var traits = device as IVirtioDeviceTraits;
        _queuesInPairs = traits?.QueuesInPairs ?? false;
        // CONFIG only where the frontend takes the config space from the backend: not for a device whose config
        // the frontend makes itself (net's MAC and link; QEMU warns about a backend offering it), nor for a
        // device without one (rng).
        OfferedProtocolFeatures = device.ConfigSize > 0 && traits?.ConfigSetByOwner != true
            ? SupportedProtocolFeatures
            : SupportedProtocolFeatures & ~(1UL << VHOST_USER_PROTOCOL_F_CONFIG);
    }

    private readonly bool _queuesInPairs;

    /// <summary>GET_PROTOCOL_FEATURES: MQ and REPLY_ACK, and CONFIG for devices whose config the frontend reads from us.</summary>
    public ulong OfferedProtocolFeatures { get; }

    /// <summary>GET_FEATURES: the device's features, the core's ring features, and VHOST_USER_F_PROTOCOL_FEATURES.</summary>
    public ulong OfferedFeatures { get; }

    /// <summary>True when the frontend accepted REPLY_ACK: it may ask for a success/failure answer to any request.</summary>
    public bool ReplyAck => (_protocolFeatures & 1UL << VHOST_USER_PROTOCOL_F_REPLY_ACK) != 0;

    /// <summary>True while the device is activated (some ring has run since the last reset).</summary>
    public bool IsActive => _activation is not null;

    /// <summary>The device's queues for the current memory table (tests look at them).</summary>
    public IReadOnlyList<SplitQueue> Queues => _queues;

    /// <summary>True for the requests whose answer is a reply payload rather than an optional REPLY_ACK.</summary>
    public static bool HasReply(uint request) => request is VHOST_USER_GET_FEATURES or VHOST_USER_GET_PROTOCOL_FEATURES
        or VHOST_USER_GET_QUEUE_NUM or VHOST_USER_GET_VRING_BASE or VHOST_USER_GET_CONFIG;

    /// <summary>Answers one request; on the I/O thread. Fds the request uses are taken from the message, the rest it closes.</summary>
    public VhostUserOutcome Handle(VhostUserMessage message)
    {
        try
        {
            return Dispatch(message);
        }
        catch (VhostUserException e)
        {
            return VhostUserOutcome.Fail(e.Message);
        }
    }

    private VhostUserOutcome Dispatch(VhostUserMessage message)
    {
        var payload = message.Payload;
        switch (message.Request)
        {
            case VHOST_USER_GET_FEATURES:
                Expect(message, 0);
                return U64(OfferedFeatures);
            case VHOST_USER_SET_FEATURES:
                Expect(message, 8);
                SetFeatures(Read<ulong>(payload));
                return VhostUserOutcome.Ok;
            case VHOST_USER_SET_OWNER:
                Expect(message, 0);
                return VhostUserOutcome.Ok;
            case VHOST_USER_RESET_OWNER:
                // Deprecated; the spec suggests ignoring it or disabling every ring. Stopping them is the safe reading.
                Expect(message, 0);
                StopAll();
                return VhostUserOutcome.Ok;
            case VHOST_USER_GET_PROTOCOL_FEATURES:
                Expect(message, 0);
                return U64(OfferedProtocolFeatures);
            case VHOST_USER_SET_PROTOCOL_FEATURES:
                Expect(message, 8);
                _protocolFeatures = Read<ulong>(payload) & OfferedProtocolFeatures;
                return VhostUserOutcome.Ok;
            case VHOST_USER_GET_QUEUE_NUM:
                Expect(message, 0);
                // vhost-user-net counts queue pairs; every other device counts queues.
                return U64(_queuesInPairs ? (ulong)Math.Max(1, _rings.Length / 2) : (ulong)_rings.Length);
            case VHOST_USER_SET_MEM_TABLE:
                SetMemTable(message);
                return VhostUserOutcome.Ok;
            case VHOST_USER_SET_VRING_NUM:
            {
                Expect(message, 8);
                var state = Read<VringStateMessage>(payload);
                var ring = StoppedRing(state.Index);
                if (state.Num == 0 || state.Num > ring.MaxSize || !uint.IsPow2(state.Num))
                    throw new VhostUserException($"ring {state.Index}: size {state.Num} is not a power of 2 from 1 to {ring.MaxSize}");
                ring.Size = (ushort)state.Num;
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_ADDR:
                SetVringAddr(message);
                return VhostUserOutcome.Ok;
            case VHOST_USER_SET_VRING_BASE:
            {
                Expect(message, 8);
                var state = Read<VringStateMessage>(payload);
                var ring = StoppedRing(state.Index);
                if (state.Num > ushort.MaxValue) throw new VhostUserException($"ring {state.Index}: base {state.Num} is not a 16-bit ring index");
                ring.Base = (ushort)state.Num;
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_GET_VRING_BASE:
            {
                Expect(message, 8);
                var state = Read<VringStateMessage>(payload);
                Ring(state.Index);
                ushort next = StopRing((int)state.Index);
                return Answer(new VringStateMessage(state.Index, next));
            }
            case VHOST_USER_SET_VRING_KICK:
            {
                var (index, fd) = RingFd(message, _rings.Length);
                if (fd is null) throw new VhostUserException($"ring {index}: a kick without an fd asks for polling, which Glue does not do");
                StartRing(index, fd);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_CALL:
            {
                var (index, fd) = RingFd(message, _rings.Length);
                _rings[index].ReplaceCall(fd);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_ERR:
            {
                var (index, fd) = RingFd(message, _rings.Length);
                _rings[index].ReplaceErr(fd);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_ENABLE:
            {
                Expect(message, 8);
                var state = Read<VringStateMessage>(payload);
                var ring = Ring(state.Index);
                if (state.Num > 1) throw new VhostUserException($"ring {state.Index}: enable takes 0 or 1, not {state.Num}");
                SetEnabled((int)state.Index, ring, state.Num == 1);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_GET_CONFIG when ConfigOffered:
                return VhostUserConfigSpace.Get(_device, message, _log);
            case VHOST_USER_SET_CONFIG when ConfigOffered:
                VhostUserConfigSpace.Set(_device, message);
                return VhostUserOutcome.Ok;
            case VHOST_USER_GPU_SET_SOCKET when _displaySocket is not null:
                // No payload, one fd: the socket's protocol is the device's business, not the transport's.
                if (message.Payload.Length != 0 || message.Fds.Length != 1)
                    throw new VhostUserException($"GPU_SET_SOCKET takes one fd and no payload, not {message.Fds.Length} fds and {message.Payload.Length} bytes");
                return _displaySocket(message.TakeFd(0)!) is { } refusal ? VhostUserOutcome.Fail(refusal) : VhostUserOutcome.Ok;
            default:
                // GET_INFLIGHT_FD, SET_LOG_BASE, SET_SLAVE_REQ_FD, ...: each needs a feature Glue does not offer.
                NoFds(message);
                throw new VhostUserException($"request {message.Request} is not supported");
        }
    }

    // ---- Features.

    private void SetFeatures(ulong features)
    {
        if (_rings.Any(r => r.Started)) throw new VhostUserException("features cannot change while rings are started");
        // A frontend that passes on bits the driver accepted but we never offered (QEMU's vhost-user-rng does not
        // filter them) gets them dropped: the device and its queues run with what we offered only.
        _features = features & OfferedFeatures;
    }

    private bool ConfigOffered => (OfferedProtocolFeatures & 1UL << VHOST_USER_PROTOCOL_F_CONFIG) != 0;

    private bool ProtocolFeaturesNegotiated => (_features & 1UL << VHOST_USER_F_PROTOCOL_FEATURES) != 0;

    /// <summary>The virtio features the device and queues run with: without the vhost-user bit.</summary>
    private ulong VirtioFeaturesNegotiated => _features & ~(1UL << VHOST_USER_F_PROTOCOL_FEATURES);

    // ---- Memory.

    private void SetMemTable(VhostUserMessage message)
    {
        var memory = VhostUserMemory.FromMessage(message, _allowUnsealedMemory);
        try
        {
            for (int i = 0; i < _rings.Length; i++)
            {
                if (_rings[i].Started) VringLayout.Check(i, _rings[i], memory, _features);
            }
        }
        catch
        {
            memory.Dispose();
            throw;
        }
        Replace(memory);
    }

    /// <summary>
    /// Puts a new memory table in place. Started rings survive it (QEMU sends a new table whenever its guest's
    /// memory map changes, firmware included, even while rings run): the device is reset, its queues rebuilt on
    /// the new mappings from where each ring stood, and the running rings run again, so it is activated anew.
    /// A device with state of its own beyond its queues (vsock's connections) loses that state.
    /// </summary>
    private void Replace(VhostUserMemory memory)
    {
        for (int i = 0; i < _rings.Length; i++)
        {
            if (_rings[i].Running) _rings[i].Base = _queues[i].NextAvail;
        }
        if (_activation is not null)
        {
            _device.Reset();
            _activation = null;
        }
        var old = _memory;
        _memory = memory;
        _queues = _device.QueueMaxSizes.Select(max => new SplitQueue(memory.Memory, max, QueueBroken, Rearm)).ToArray();
        old?.Dispose();
        for (int i = 0; i < _rings.Length; i++)
        {
            if (_rings[i].Running) Run(i, _rings[i]);
        }
    }

    // ---- Interrupts and errors: the call and err eventfds.

    public void SignalUsedBuffers(int queue)
    {
        if ((uint)queue < (uint)_rings.Length) _rings[queue].SignalCall();
    }

    /// <summary>There is no backend-to-frontend channel (SLAVE_REQ is not offered), so a config change cannot be announced.</summary>
    public void SignalConfigChange()
    {
    }

    private void QueueBroken(SplitQueue queue)
    {
        int index = Array.IndexOf(_queues, queue);
        _log($"vhost-user: ring {index}: the driver broke it: {queue.Fault}");
        if (index >= 0) _rings[index].SignalErr();
    }

    private void ReportDeviceError(string reason)
    {
        _log($"vhost-user: device error: {reason}");
        foreach (var ring in _rings) ring.SignalErr();
    }

    // ---- Message checks.

    private Vring Ring(uint index)
    {
        CheckRing(index, _rings.Length);
        return _rings[index];
    }

    private Vring StoppedRing(uint index)
    {
        var ring = Ring(index);
        if (ring.Started) throw new VhostUserException($"ring {index} is started: stop it (GET_VRING_BASE) before changing it");
        return ring;
    }

    /// <summary>Closes everything of the current connection and the re-arm eventfds. The device and the loop belong to the caller.</summary>
    public void Dispose()
    {
        Disconnect();
        foreach (var watch in _rearmWatches) watch.Dispose();
        foreach (var rearm in _rearms) rearm.Dispose();
    }
}
