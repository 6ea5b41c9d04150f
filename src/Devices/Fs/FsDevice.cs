using System.Text;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Glue.Core.Pci;
using Glue.Virtio;
using Glue.Virtio.Events;

namespace Glue.Devices.Fs;

/// <summary>
/// The file system device (virtio 1.2 §5.11): a host directory the guest mounts with `mount -t virtiofs TAG`. Queue 0
/// is the high-priority queue (FORGET and BATCH_FORGET, served on the I/O thread: they have no reply), queue 1 the
/// one request queue; its requests go to <see cref="RequestWorkers"/>, up to <see cref="Slots"/> in flight. Popping
/// and returning chains share one lock, since workers return them from their own threads. No DAX window.
/// </summary>
public sealed class FsDevice : IVirtioDevice, IDisposable
{
    public const int HiprioQueue = 0;
    public const int RequestQueue = 1;

    /// <summary>A request queue of 1024: a READ or WRITE of max_pages (256) pages is one chain of some 260 buffers.</summary>
    public const ushort RequestQueueSize = 1024;

    public const ushort HiprioQueueSize = 128;

    /// <summary>struct virtio_fs_config (§5.11.4): u8 tag[36], le32 num_request_queues.</summary>
    public const int TagBytes = 36;

    public const int Workers = 4;

    /// <summary>Requests in flight at once: every worker busy and as many waiting for one.</summary>
    public const int Slots = 2 * Workers;

    private readonly byte[] _config = new byte[TagBytes + 4];
    private readonly SharedDirectory _share;
    private readonly FuseServer _server;
    private readonly RequestWorkers? _workers;
    private readonly object _requestGate = new();
    private readonly Stack<VirtioFuseRequest> _free = new(Slots);
    private VirtioFuseRequest? _hiprio;
    private EventFd? _slotFreed;
    private EventRegistration? _slotFreedWatch;
    private int _inFlight;       // under _requestGate
    private bool _heldBack;      // under _requestGate: a chain waits in the ring for a free slot
    private VirtioActivation? _activation;

    /// <param name="cache">What the guest may cache of the share.</param>
    /// <param name="workers">Threads that serve requests; 0 serves each on the I/O thread as it is popped (the fuzzer's way).</param>
    internal FsDevice(string tag, SharedDirectory share, FsCache cache = FsCache.Auto, int workers = Workers)
    {
        Tag = tag;
        Encoding.UTF8.GetBytes(tag, _config);
        _config[TagBytes] = 1;   // num_request_queues
        _share = share;
        _server = new FuseServer(share, cache);
        // Started by the thread that makes the device, not at activation: a vCPU or vhost-user thread activates, and a
        // thread inherits its creator's seccomp filter, which would keep the workers from the file calls (docs/security.md).
        if (workers > 0) _workers = new RequestWorkers($"fs-{Tag}", workers, Slots, Serve);
    }

    public string Tag { get; }

    public bool ReadOnly => _share.ReadOnly;

    public uint DeviceId => VirtioIds.VIRTIO_ID_FS;

    public string Name => "fs";

    /// <summary>As QEMU's vhost-user-fs-pci: mass storage, other.</summary>
    public uint PciClass => PciClassCodes.PCI_CLASS_STORAGE_OTHER;

    /// <summary>No VIRTIO_FS_F_NOTIFICATION: Glue sends no notifications.</summary>
    public ulong Features => 0;

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [HiprioQueueSize, RequestQueueSize];

    public int ConfigSize => _config.Length;

    public void ReadConfig(int offset, Span<byte> data) => _config.AsSpan(offset, data.Length).CopyTo(data);

    /// <summary>The config is read-only (§5.11.4).</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(VirtioActivation activation)
    {
        // The slots point into guest memory, which a vhost-user frontend may give anew on each activation.
        _free.Clear();
        for (int i = 0; i < Slots; i++) _free.Push(new VirtioFuseRequest(activation.Memory, RequestQueueSize));
        _hiprio = new VirtioFuseRequest(activation.Memory, HiprioQueueSize);
        _slotFreed = new EventFd();
        _slotFreedWatch = activation.IoThread.Register(_slotFreed.Handle, OnSlotFreed);
        _activation = activation;
    }

    public void QueueNotify(int queue)
    {
        if (_activation is not { } activation) return;
        if (queue == HiprioQueue) ServeHiprio(activation);
        else if (queue == RequestQueue) Dispatch(activation);
    }

    /// <summary>FORGET and BATCH_FORGET, here on the I/O thread: quick, and with nothing to write back.</summary>
    private void ServeHiprio(VirtioActivation activation)
    {
        var queue = activation.Queues[HiprioQueue];
        var request = _hiprio!;
        do
        {
            queue.DisableNotification();
            while (queue.TryPop(out var chain))
            {
                request.Load(chain);
                queue.AddUsed(request.Head, request.Complete(_server.Serve(request)));
            }
        } while (queue.EnableNotification());
        activation.SignalUsedIfNeeded(HiprioQueue);
    }

    /// <summary>Hands the request queue's chains to the workers while a slot is free; the rest wait in the ring until one is.</summary>
    private void Dispatch(VirtioActivation activation)
    {
        var queue = activation.Queues[RequestQueue];
        lock (_requestGate)
        {
            do
            {
                queue.DisableNotification();
                while (true)
                {
                    if (_free.Count == 0)
                    {
                        _heldBack = true;
                        return;
                    }
                    if (!queue.TryPop(out var chain)) break;
                    var request = _free.Pop();
                    request.Load(chain);
                    _inFlight++;
                    if (_workers is null) Serve(request);
                    else _workers.Post(request);
                }
            } while (queue.EnableNotification());
        }
    }

    /// <summary>On a worker (or, with none, on the I/O thread under the gate): serves one request and returns its chain.</summary>
    private void Serve(VirtioFuseRequest request)
    {
        uint used = request.Complete(_server.Serve(request));
        lock (_requestGate)
        {
            var activation = _activation!;
            var queue = activation.Queues[RequestQueue];
            queue.AddUsed(request.Head, used);
            activation.SignalUsedIfNeeded(RequestQueue);
            _free.Push(request);
            _inFlight--;
            if (_heldBack) _slotFreed!.Signal();   // under the lock: a reset cannot close it meanwhile
            _heldBack = false;
            if (_inFlight == 0) Monitor.PulseAll(_requestGate);
        }
    }

    private void OnSlotFreed()
    {
        _slotFreed!.Drain();
        if (_activation is { } activation) Dispatch(activation);
    }

    /// <summary>Waits for the requests in flight to be returned, then forgets the activation and everything the guest held open.</summary>
    public void Reset()
    {
        lock (_requestGate)
        {
            while (_inFlight > 0) Monitor.Wait(_requestGate);
            _heldBack = false;
        }
        _slotFreedWatch?.Dispose();
        _slotFreed?.Dispose();
        _slotFreedWatch = null;
        _slotFreed = null;
        _activation = null;
        _share.Clear();
    }

    public void Dispose()
    {
        _workers?.Dispose();
        _share.Dispose();
    }
}
