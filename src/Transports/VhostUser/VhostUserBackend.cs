using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>What one request came to: nothing to say, a reply payload, or a refusal with its reason.</summary>
public readonly record struct VhostUserOutcome(byte[]? Reply, string? Error)
{
    public static readonly VhostUserOutcome Ok = default;
    public static VhostUserOutcome Answer(byte[] reply) => new(reply, null);
    public static VhostUserOutcome Fail(string reason) => new(null, reason);
}

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
/// </summary>
public sealed unsafe class VhostUserBackend : IVirtioInterrupts, IDisposable
{
    private readonly IVirtioDevice _device;
    private readonly EventLoop _loop;
    private readonly Action<string> _log;
    private readonly Func<SafeFd, string?>? _displaySocket;
    private readonly Vring[] _rings;
    private VhostUserMemory? _memory;
    private SplitQueue[] _queues = [];
    private VirtioActivation? _activation;
    private ulong _features;            // SET_FEATURES, as far as we offered them
    private ulong _protocolFeatures;    // SET_PROTOCOL_FEATURES, as far as we offered them

    /// <param name="displaySocket">Takes the fd of GPU_SET_SOCKET (see <see cref="IVirtioBackendFeature.Listen"/>); null refuses the request.</param>
    public VhostUserBackend(IVirtioDevice device, EventLoop loop, Action<string> log, Func<SafeFd, string?>? displaySocket = null)
    {
        _device = device;
        _loop = loop;
        _log = log;
        _displaySocket = displaySocket;
        _rings = device.QueueMaxSizes.Select(max => new Vring(max)).ToArray();
        OfferedFeatures = device.Features | VirtioFeatures.Core | 1UL << VHOST_USER_F_PROTOCOL_FEATURES;
        // CONFIG only where the frontend takes the config space from the backend: not for net, whose config
        // (MAC, link) QEMU makes itself and warns about a backend offering it, nor for a device without one (rng).
        OfferedProtocolFeatures = device.ConfigSize > 0 && device.DeviceId != VirtioIds.VIRTIO_ID_NET
            ? SupportedProtocolFeatures
            : SupportedProtocolFeatures & ~(1UL << VHOST_USER_PROTOCOL_F_CONFIG);
    }

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
                return U64(_device.DeviceId == VirtioIds.VIRTIO_ID_NET ? (ulong)Math.Max(1, _rings.Length / 2) : (ulong)_rings.Length);
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
                var (index, fd) = RingFd(message);
                if (fd is null) throw new VhostUserException($"ring {index}: a kick without an fd asks for polling, which Glue does not do");
                StartRing(index, fd);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_CALL:
            {
                var (index, fd) = RingFd(message);
                _rings[index].ReplaceCall(fd);
                return VhostUserOutcome.Ok;
            }
            case VHOST_USER_SET_VRING_ERR:
            {
                var (index, fd) = RingFd(message);
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
                return GetConfig(message);
            case VHOST_USER_SET_CONFIG when ConfigOffered:
                SetConfig(message);
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
        var payload = message.Payload;
        if (payload.Length < 8) throw new VhostUserException($"SET_MEM_TABLE has {payload.Length} bytes, less than its 8-byte header");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        int regionSize = Marshal.SizeOf<MemoryRegionMessage>();
        if (count is 0 or > MaxMemoryRegions) throw new VhostUserException($"SET_MEM_TABLE has {count} regions (1 to {MaxMemoryRegions})");
        if (payload.Length != 8 + count * regionSize) throw new VhostUserException($"SET_MEM_TABLE of {count} regions has {payload.Length} bytes, not {8 + count * regionSize}");
        if (message.Fds.Length != count) throw new VhostUserException($"SET_MEM_TABLE of {count} regions came with {message.Fds.Length} fds");

        var regions = MemoryMarshal.Cast<byte, MemoryRegionMessage>(payload.AsSpan(8)).ToArray();
        var fds = new SafeFd[count];
        for (int i = 0; i < count; i++) fds[i] = message.TakeFd(i)!;
        VhostUserMemory memory;
        try
        {
            memory = VhostUserMemory.Map(regions, fds);
        }
        finally
        {
            // The mappings keep the files; the fds are not needed any more.
            foreach (var fd in fds) fd.Dispose();
        }
        try
        {
            for (int i = 0; i < _rings.Length; i++)
            {
                if (_rings[i].Started) CheckLayout(i, _rings[i], memory);
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
        _queues = _device.QueueMaxSizes.Select(max => new SplitQueue(memory.Memory, max, QueueBroken)).ToArray();
        old?.Dispose();
        for (int i = 0; i < _rings.Length; i++)
        {
            if (_rings[i].Running) Run(i, _rings[i]);
        }
    }

    // ---- Rings.

    private void SetVringAddr(VhostUserMessage message)
    {
        Expect(message, Marshal.SizeOf<VringAddrMessage>());
        var address = Read<VringAddrMessage>(message.Payload);
        var ring = StoppedRing(address.Index);
        if (_memory is null) throw new VhostUserException($"ring {address.Index}: addresses before any SET_MEM_TABLE");
        foreach (var (name, user) in new[] { ("descriptor table", address.Desc), ("avail ring", address.Avail), ("used ring", address.Used) })
        {
            if (!_memory.TryTranslate(user, 1, out _))
                throw new VhostUserException($"ring {address.Index}: its {name} at user address 0x{user:x} is outside the memory table");
        }
        ring.DescUser = address.Desc;
        ring.AvailUser = address.Avail;
        ring.UsedUser = address.Used;
        ring.HasAddresses = true;
    }

    /// <summary>
    /// SET_VRING_KICK: the ring starts. Its whole layout (size, alignment, each area inside one region of the
    /// memory table) is checked now, so that a ring that runs later cannot fail. A started ring only swaps its fd.
    /// </summary>
    private void StartRing(int index, SafeFd kick)
    {
        var ring = _rings[index];
        try
        {
            if (!ring.Started) CheckLayout(index, ring, _memory);
            ring.ReplaceKick(kick, Watch(index, kick));
        }
        catch
        {
            kick.Dispose();
            throw;
        }
        if (ring.Started) return;   // the frontend only swapped its kick fd
        ring.Started = true;
        // Without protocol features a ring runs as soon as it starts; with them it waits for SET_VRING_ENABLE.
        if (!ProtocolFeaturesNegotiated) ring.Enabled = true;
        if (ring.Running) Run(index, ring);
    }

    private void CheckLayout(int index, Vring ring, VhostUserMemory? memory)
    {
        if (memory is null) throw new VhostUserException($"ring {index}: started before any SET_MEM_TABLE");
        if (!ring.HasAddresses) throw new VhostUserException($"ring {index}: started before SET_VRING_ADDR");
        if (!VirtioFeatures.Has(_features, VirtioFeatures.VIRTIO_F_VERSION_1))
            throw new VhostUserException($"ring {index}: started without VIRTIO_F_VERSION_1 negotiated (legacy devices are not supported)");
        bool eventIdx = VirtioFeatures.Has(_features, VirtioFeatures.VIRTIO_F_EVENT_IDX);
        CheckArea(memory, index, "descriptor table", ring.DescUser, Virtq.DescTableBytes(ring.Size), Virtq.DescTableAlignment);
        CheckArea(memory, index, "avail ring", ring.AvailUser, Virtq.AvailRingBytes(ring.Size, eventIdx), Virtq.AvailRingAlignment);
        CheckArea(memory, index, "used ring", ring.UsedUser, Virtq.UsedRingBytes(ring.Size, eventIdx), Virtq.UsedRingAlignment);
    }

    private static void CheckArea(VhostUserMemory memory, int index, string name, ulong user, int bytes, ulong alignment)
    {
        if (!memory.TryTranslate(user, (ulong)bytes, out var guest) || !memory.Memory.TryGetSpan(guest, bytes, out _))
            throw new VhostUserException($"ring {index}: its {name} (user 0x{user:x}, 0x{bytes:x} bytes) is not inside one region of the memory table");
        if (guest.Value % alignment != 0) throw new VhostUserException($"ring {index}: its {name} at guest 0x{guest.Value:x} is not {alignment}-byte aligned");
    }

    /// <summary>
    /// The ring runs: its queue is configured and enabled from where the ring stands (the base for avail, the
    /// used ring's own idx for used), the device is activated if this is its first running ring, and it gets
    /// a notify for anything made available before.
    /// </summary>
    private void Run(int index, Vring ring)
    {
        var queue = _queues[index];
        _memory!.TryTranslate(ring.DescUser, 1, out var desc);
        _memory.TryTranslate(ring.AvailUser, 1, out var avail);
        _memory.TryTranslate(ring.UsedUser, 1, out var used);
        queue.Reset();
        queue.Size = ring.Size;
        queue.DescTable = desc;
        queue.AvailRing = avail;
        queue.UsedRing = used;
        ushort usedIdx = _memory.Memory.Read<ushort>(used.Offset(2));
        queue.SetIndices(ring.Base, usedIdx);
        if (!queue.Enable(VirtioFeaturesNegotiated)) return;   // QueueBroken logged it

        if (_activation is null)
        {
            _activation = new VirtioActivation(_memory.Memory, VirtioFeaturesNegotiated, _queues, this, _loop, ReportDeviceError);
            _device.Activate(_activation);
        }
        _device.QueueNotify(index);
    }

    /// <summary>SET_VRING_ENABLE: a started ring runs while enabled; disabling one keeps its place for later.</summary>
    private void SetEnabled(int index, Vring ring, bool enable)
    {
        if (ring.Enabled == enable) return;
        ring.Enabled = enable;
        if (!ring.Started) return;
        if (enable)
        {
            Run(index, ring);
        }
        else
        {
            ring.Base = _queues[index].NextAvail;
            _queues[index].Reset();
        }
    }

    /// <summary>
    /// GET_VRING_BASE: the ring stops and its next avail index is returned. The device is reset when no ring is
    /// left started, so that the next start finds it fresh.
    /// </summary>
    private ushort StopRing(int index)
    {
        var ring = _rings[index];
        if (!ring.Started) return ring.Base;
        if (ring.Running) ring.Base = _queues[index].NextAvail;
        ring.ReplaceKick(null, null);
        ring.Started = false;
        ring.Enabled = false;
        _queues[index].Reset();
        if (_activation is not null && !_rings.Any(r => r.Started))
        {
            _device.Reset();
            _activation = null;
            foreach (var queue in _queues) queue.Reset();
        }
        return ring.Base;
    }

    private void StopAll()
    {
        for (int i = 0; i < _rings.Length; i++) StopRing(i);
    }

    private EventRegistration Watch(int index, SafeFd kick)
    {
        try
        {
            return _loop.Register(kick, () => OnKick(index));
        }
        catch (NativeError e)
        {
            throw new VhostUserException($"ring {index}: its kick fd cannot be watched: {e.Message}");
        }
    }

    private void OnKick(int index)
    {
        var ring = _rings[index];
        if (ring.Kick is not { } kick) return;
        if (!Drain(kick))
        {
            // An fd that stays readable but yields nothing (a pipe whose writer closed) would spin this thread.
            _log($"vhost-user: ring {index}: its kick fd hung up; no longer watched");
            ring.KickWatch?.Dispose();
            ring.KickWatch = null;
            return;
        }
        if (ring.Running && _activation is not null) _device.QueueNotify(index);
    }

    /// <summary>
    /// The frontend went away (or the backend is closing): every ring stops, the device is reset, the memory
    /// table is unmapped, and everything negotiated is forgotten, ready for the next connection.
    /// </summary>
    public void Disconnect()
    {
        StopAll();
        if (_activation is not null)
        {
            _device.Reset();
            _activation = null;
        }
        foreach (var ring in _rings) ring.Clear();
        _queues = [];
        _memory?.Dispose();
        _memory = null;
        _features = 0;
        _protocolFeatures = 0;
    }

    // ---- Config space.

    private VhostUserOutcome GetConfig(VhostUserMessage message)
    {
        NoFds(message);
        var payload = message.Payload;
        if (!TryConfigHeader(payload, out var header, out string? error))
        {
            // The spec's error answer to GET_CONFIG is a reply with an empty payload.
            _log($"vhost-user: GET_CONFIG: {error}");
            return VhostUserOutcome.Answer([]);
        }
        var reply = new byte[payload.Length];
        payload.AsSpan(0, Marshal.SizeOf<ConfigHeaderMessage>()).CopyTo(reply);
        var data = reply.AsSpan(Marshal.SizeOf<ConfigHeaderMessage>());
        var (start, length) = ClampToConfig((int)header.Offset, data.Length);
        if (length > 0) _device.ReadConfig(start, data.Slice(start - (int)header.Offset, length));
        return VhostUserOutcome.Answer(reply);
    }

    private void SetConfig(VhostUserMessage message)
    {
        NoFds(message);
        if (!TryConfigHeader(message.Payload, out var header, out string? error)) throw new VhostUserException($"SET_CONFIG: {error}");
        var data = message.Payload.AsSpan(Marshal.SizeOf<ConfigHeaderMessage>());
        var (start, length) = ClampToConfig((int)header.Offset, data.Length);
        if (length > 0) _device.WriteConfig(start, data.Slice(start - (int)header.Offset, length));
    }

    private static bool TryConfigHeader(byte[] payload, out ConfigHeaderMessage header, out string? error)
    {
        header = default;
        int fixedSize = Marshal.SizeOf<ConfigHeaderMessage>();
        if (payload.Length < fixedSize)
        {
            error = $"{payload.Length} bytes is less than the 12-byte config header";
            return false;
        }
        header = MemoryMarshal.Read<ConfigHeaderMessage>(payload);
        if (header.Size > MaxConfigSize || header.Offset > MaxConfigSize || payload.Length != fixedSize + header.Size)
        {
            error = $"offset {header.Offset} size {header.Size} in a {payload.Length}-byte payload";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Bytes beyond the device's config space read as 0 and drop writes, as on the other transports.</summary>
    private (int Start, int Length) ClampToConfig(int offset, int length)
    {
        long start = Math.Max(0L, offset);
        long end = Math.Min((long)offset + length, _device.ConfigSize);
        return end > start ? ((int)start, (int)(end - start)) : (0, 0);
    }

    // ---- Interrupts and errors: the call and err eventfds.

    public void SignalUsedBuffers(int queue)
    {
        if ((uint)queue < (uint)_rings.Length && _rings[queue].Call is { } call) Signal(call);
    }

    /// <summary>There is no backend-to-frontend channel (SLAVE_REQ is not offered), so a config change cannot be announced.</summary>
    public void SignalConfigChange()
    {
    }

    private void QueueBroken(SplitQueue queue)
    {
        int index = Array.IndexOf(_queues, queue);
        _log($"vhost-user: ring {index}: the driver broke it: {queue.Fault}");
        if (index >= 0 && _rings[index].Err is { } err) Signal(err);
    }

    private void ReportDeviceError(string reason)
    {
        _log($"vhost-user: device error: {reason}");
        foreach (var ring in _rings)
        {
            if (ring.Err is { } err) Signal(err);
        }
    }

    private static void Signal(SafeFd fd)
    {
        ulong one = 1;
        // EAGAIN: the counter is full, so the frontend is woken already. A call fd that is not an eventfd is the
        // frontend's problem; nothing here depends on the write.
        Libc.Write(fd.Fd, &one, sizeof(ulong));
    }

    /// <summary>Clears a kick eventfd; false when the fd is at its end or broken rather than just drained.</summary>
    private static bool Drain(SafeFd fd)
    {
        ulong count;
        nint n = Libc.Read(fd.Fd, &count, sizeof(ulong));
        return n > 0 || n < 0 && Marshal.GetLastPInvokeError() == Libc.EAGAIN;
    }

    // ---- Message checks.

    private Vring Ring(uint index)
    {
        if (index >= _rings.Length) throw new VhostUserException($"ring {index} does not exist (the device has {_rings.Length})");
        return _rings[index];
    }

    private Vring StoppedRing(uint index)
    {
        var ring = Ring(index);
        if (ring.Started) throw new VhostUserException($"ring {index} is started: stop it (GET_VRING_BASE) before changing it");
        return ring;
    }

    /// <summary>SET_VRING_KICK/CALL/ERR: a u64 of ring index and NOFD flag, and exactly one fd unless NOFD.</summary>
    private (int Index, SafeFd? Fd) RingFd(VhostUserMessage message)
    {
        if (message.Payload.Length != 8)
        {
            throw new VhostUserException($"request {message.Request} has {message.Payload.Length} bytes of payload, not 8");
        }
        ulong value = Read<ulong>(message.Payload);
        uint index = (uint)(value & VHOST_USER_VRING_IDX_MASK);
        bool noFd = (value & VHOST_USER_VRING_NOFD_MASK) != 0;
        Ring(index);
        int expected = noFd ? 0 : 1;
        if (message.Fds.Length != expected) throw new VhostUserException($"ring {index}: request {message.Request} came with {message.Fds.Length} fds, not {expected}");
        var fd = noFd ? null : message.TakeFd(0);
        // QEMU's eventfds are non-blocking already; any other fd is made so, so a read or write can never hang
        // the device's thread.
        if (fd is not null && SocketLibc.MakeNonBlocking(fd.Fd) != 0)
        {
            fd.Dispose();
            throw new VhostUserException($"ring {index}: request {message.Request} came with an fd that cannot be made non-blocking");
        }
        return ((int)index, fd);
    }

    private static void Expect(VhostUserMessage message, int size)
    {
        if (message.Payload.Length != size)
            throw new VhostUserException($"request {message.Request} has {message.Payload.Length} bytes of payload, not {size}");
        NoFds(message);
    }

    private static void NoFds(VhostUserMessage message)
    {
        if (message.Fds.Length != 0) throw new VhostUserException($"request {message.Request} came with {message.Fds.Length} fds it does not take");
    }

    private static T Read<T>(byte[] payload) where T : unmanaged => MemoryMarshal.Read<T>(payload);

    private static VhostUserOutcome U64(ulong value) => VhostUserOutcome.Answer(BitConverter.GetBytes(value));

    private static VhostUserOutcome Answer<T>(T value) where T : unmanaged
    {
        var bytes = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(bytes, value);
        return VhostUserOutcome.Answer(bytes);
    }

    /// <summary>Closes everything of the current connection. The device and the loop belong to the caller.</summary>
    public void Dispose() => Disconnect();
}
