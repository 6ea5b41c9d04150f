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
/// The rings' life: addresses, start (SET_VRING_KICK), run (the device's queue built and enabled), enable and
/// disable, stop (GET_VRING_BASE), the kick and re-arm eventfds, and the frontend going away.
/// </summary>
public sealed partial class VhostUserBackend
{
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
            if (!ring.Started) VringLayout.Check(index, ring, _memory, _features);
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
            if (_activation is not null) _device.StopQueue(index);
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
        if (ring.Running && _activation is not null) _device.StopQueue(index);
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
        if (ring.Kick is null) return;
        if (!ring.DrainKick())
        {
            // An fd that stays readable but yields nothing (a pipe whose writer closed) would spin this thread.
            _log($"vhost-user: ring {index}: its kick fd hung up; no longer watched");
            ring.KickWatch?.Dispose();
            ring.KickWatch = null;
            return;
        }
        if (!ring.Running || _activation is null) return;
        _queues[index].RefillBudget();
        _device.QueueNotify(index);
    }

    /// <summary>A queue spent its notification's budget: come back through the loop, after the other ready fds.</summary>
    private void Rearm(SplitQueue queue)
    {
        int index = Array.IndexOf(_queues, queue);
        if (index >= 0) _rearms[index].Signal();
    }

    private void OnRearm(int index)
    {
        _rearms[index].Drain();
        if (!_rings[index].Running || _activation is null || index >= _queues.Length) return;
        _queues[index].RefillBudget();
        _device.QueueNotify(index);
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
}
