using Glue.Core.Memory;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Virtio;

/// <summary>
/// The driver-facing state every virtio transport shares (virtio 1.2 §2.1-§2.2, §3.1, §4): the device status
/// byte and its initialization sequence, the 64-bit feature words read and written 32 bits at a time, queue
/// select and the selected queue's configuration, the config space and its generation, and the queue kicks.
/// The MMIO register file and the PCI common configuration are thin maps onto this class; neither knows the
/// rules below.
///
/// Threads: register accesses arrive on vCPU threads. Activation, reset and kicks go to the device's
/// <see cref="EventLoop"/>, so the device only ever runs on its own thread (see <see cref="IVirtioDevice"/>).
/// </summary>
public sealed partial class VirtioDeviceState : IDisposable
{
    private readonly IVirtioDevice _device;
    private readonly GuestMemory _memory;
    private readonly IVirtioInterrupts _transportInterrupts;
    private readonly IVirtioInterrupts _deviceInterrupts;
    private readonly EventLoop _ioThread;
    private readonly SplitQueue[] _queues;
    private readonly EventFd[] _kicks;
    private readonly EventRegistration[] _kickWatches;
    private readonly object _gate = new();   // the status byte: written by the driver and, for NEEDS_RESET, by the device
    private byte _status;
    private ulong _driverFeatures;
    private uint _configGeneration;
    private bool _active;                    // only touched on the I/O thread
    private readonly Action? _transportReset;

    /// <param name="transportReset">
    /// Called at the end of every device reset, so that the transport clears what it keeps of its own for the device
    /// (MMIO's InterruptStatus; PCI's ISR, MSI-X vector numbers and pending bits).
    /// </param>
    public VirtioDeviceState(IVirtioDevice device, GuestMemory memory, IVirtioInterrupts interrupts, EventLoop ioThread, Action? transportReset = null)
    {
        _transportReset = transportReset;
        _device = device;
        _memory = memory;
        _transportInterrupts = interrupts;
        _deviceInterrupts = new ConfigGenerationInterrupts(this);
        _ioThread = ioThread;
        OfferedFeatures = device.Features | VirtioFeatures.Core;

        int count = device.QueueMaxSizes.Count;
        _queues = new SplitQueue[count];
        _kicks = new EventFd[count];
        _kickWatches = new EventRegistration[count];
        for (int i = 0; i < count; i++)
        {
            _kicks[i] = new EventFd();
            int queue = i;
            // A notification's budget spent: kick ourselves, so the rest is served after the loop's other fds.
            _queues[i] = new SplitQueue(memory, device.QueueMaxSizes[i], QueueBroken, _ => _kicks[queue].Signal());
            _kickWatches[i] = ioThread.Register(_kicks[i].Handle, () => OnKick(queue));
        }
    }

    public IVirtioDevice Device => _device;

    /// <summary>The device's features plus <see cref="VirtioFeatures.Core"/>: what the driver may accept.</summary>
    public ulong OfferedFeatures { get; }

    // ---- Device status (§2.1, §3.1.1).

    /// <summary>The device status byte as the driver reads it.</summary>
    public byte Status
    {
        get { lock (_gate) return _status; }
    }

    /// <summary>
    /// A driver write of the status byte. 0 resets the device. FEATURES_OK is kept only when the accepted
    /// features are valid, so the driver's read-back tells it (§3.1.1 step 6). DRIVER_OK activates the device,
    /// and only after FEATURES_OK: a driver that skips it is legacy, which Glue does not support.
    /// DEVICE_NEEDS_RESET belongs to the device and is kept whatever the driver writes.
    /// </summary>
    public void WriteStatus(byte value)
    {
        if (value == 0)
        {
            Reset();
            return;
        }

        bool activate = false;
        lock (_gate)
        {
            byte old = _status;
            value = (byte)(value & ~VIRTIO_CONFIG_S_NEEDS_RESET | old & VIRTIO_CONFIG_S_NEEDS_RESET);
            if (Added(old, value, VIRTIO_CONFIG_S_FEATURES_OK) && !FeaturesAcceptable(_driverFeatures))
                value &= unchecked((byte)~VIRTIO_CONFIG_S_FEATURES_OK);
            if (Added(old, value, VIRTIO_CONFIG_S_DRIVER_OK))
            {
                if ((value & VIRTIO_CONFIG_S_FEATURES_OK) == 0) value &= unchecked((byte)~VIRTIO_CONFIG_S_DRIVER_OK);
                else activate = true;
            }
            _status = value;
        }

        if (activate) _ioThread.Invoke(Activate);
    }

    /// <summary>
    /// §2.2.2: the device refuses FEATURES_OK when the driver accepted a feature it did not offer; and without
    /// VIRTIO_F_VERSION_1 (§6) the driver is a legacy one, which Glue does not support.
    /// </summary>
    private bool FeaturesAcceptable(ulong features) =>
        (features & ~OfferedFeatures) == 0 && VirtioFeatures.Has(features, VirtioFeatures.VIRTIO_F_VERSION_1);

    private static bool Added(byte old, byte value, byte bit) => (old & bit) == 0 && (value & bit) != 0;

    private bool Has(byte bit) => (Status & bit) != 0;

    // ---- Features (§2.2): two 32-bit words each way, picked by a select register.

    /// <summary>DeviceFeaturesSel / device_feature_select: which 32 bits <see cref="DeviceFeatures"/> shows.</summary>
    public uint DeviceFeatureSelect { get; set; }

    /// <summary>The selected 32 bits of the offered features; zero beyond bit 63.</summary>
    public uint DeviceFeatures => Word(OfferedFeatures, DeviceFeatureSelect);

    /// <summary>DriverFeaturesSel / driver_feature_select: which 32 bits <see cref="DriverFeatures"/> writes.</summary>
    public uint DriverFeatureSelect { get; set; }

    /// <summary>
    /// The selected 32 bits of the features the driver accepts. Writes count only after DRIVER and before
    /// FEATURES_OK (§3.1.1 steps 4-5); once FEATURES_OK is set the features are fixed.
    /// </summary>
    public uint DriverFeatures
    {
        get { lock (_gate) return Word(_driverFeatures, DriverFeatureSelect); }
        set
        {
            lock (_gate)
            {
                if ((_status & VIRTIO_CONFIG_S_DRIVER) == 0 || (_status & VIRTIO_CONFIG_S_FEATURES_OK) != 0) return;
                if (DriverFeatureSelect > 1) return;
                int shift = 32 * (int)DriverFeatureSelect;
                _driverFeatures = _driverFeatures & ~(0xffff_ffffUL << shift) | (ulong)value << shift;
            }
        }
    }

    /// <summary>The negotiated features: what the driver accepted, once FEATURES_OK stuck; zero before.</summary>
    public ulong NegotiatedFeatures
    {
        get { lock (_gate) return (_status & VIRTIO_CONFIG_S_FEATURES_OK) != 0 ? _driverFeatures : 0; }
    }

    private static uint Word(ulong features, uint select) => select switch
    {
        0 => (uint)features,
        1 => (uint)(features >> 32),
        _ => 0,
    };

    // ---- Queues (§2.6, §4.1.4.3, §4.2.2): one selected at a time, configured before DRIVER_OK.

    public int QueueCount => _queues.Length;

    public IReadOnlyList<SplitQueue> Queues => _queues;

    /// <summary>QueueSel / queue_select.</summary>
    public uint QueueSelect { get; set; }

    /// <summary>The selected queue, or null when QueueSelect names none (its registers then read 0 and ignore writes).</summary>
    public SplitQueue? SelectedQueue => QueueSelect < _queues.Length ? _queues[QueueSelect] : null;

    /// <summary>QueueNumMax: the selected queue's maximum size, 0 when there is no such queue (§4.2.2).</summary>
    public ushort QueueMaxSize => SelectedQueue?.MaxSize ?? 0;

    /// <summary>QueueNum / queue_size.</summary>
    public ushort QueueSize
    {
        get => SelectedQueue?.Size ?? 0;
        set { if (SelectedQueue is { } q) q.Size = value; }
    }

    /// <summary>QueueDescLow/High / queue_desc.</summary>
    public ulong QueueDesc
    {
        get => SelectedQueue?.DescTable.Value ?? 0;
        set { if (SelectedQueue is { } q) q.DescTable = new GuestAddress(value); }
    }

    /// <summary>QueueDriverLow/High / queue_driver: the available ring.</summary>
    public ulong QueueDriver
    {
        get => SelectedQueue?.AvailRing.Value ?? 0;
        set { if (SelectedQueue is { } q) q.AvailRing = new GuestAddress(value); }
    }

    /// <summary>QueueDeviceLow/High / queue_device: the used ring.</summary>
    public ulong QueueDevice
    {
        get => SelectedQueue?.UsedRing.Value ?? 0;
        set { if (SelectedQueue is { } q) q.UsedRing = new GuestAddress(value); }
    }

    /// <summary>
    /// QueueReady / queue_enable. Setting it checks the queue against the negotiated features and guest memory;
    /// a queue that fails breaks, which sets DEVICE_NEEDS_RESET. It is honoured between FEATURES_OK and
    /// DRIVER_OK only: features decide the ring layout, and a running device's queues do not change under it.
    /// Clearing it is ignored; a queue is disabled by resetting the device.
    /// </summary>
    public bool QueueReady
    {
        get => SelectedQueue?.IsReady ?? false;
        set
        {
            if (!value || SelectedQueue is not { } queue) return;
            if (!Has(VIRTIO_CONFIG_S_FEATURES_OK) || Has(VIRTIO_CONFIG_S_DRIVER_OK)) return;
            queue.Enable(NegotiatedFeatures);
        }
    }

    /// <summary>
    /// The eventfd that kicks queue <paramref name="queue"/>. A transport hands it to KVM as an ioeventfd on its
    /// notify register, so a guest kick reaches the device's thread without a VM exit to user space.
    /// </summary>
    public EventFd QueueKick(int queue) => _kicks[queue];

    /// <summary>A kick that did reach user space (QueueNotify write without an ioeventfd): passed on to the I/O thread.</summary>
    public void NotifyQueue(int queue)
    {
        if ((uint)queue < (uint)_kicks.Length) _kicks[queue].Signal();
    }

    private void OnKick(int queue)
    {
        _kicks[queue].Drain();
        _queues[queue].RefillBudget();
        // Kicks before DRIVER_OK are dropped: the device must not consume buffers before then (§2.1.2).
        if (_active) _device.QueueNotify(queue);
    }

    // ---- Device configuration space (§2.5).

    /// <summary>ConfigGeneration / config_generation: changes whenever the device changes its config space.</summary>
    public uint ConfigGeneration => Volatile.Read(ref _configGeneration);

    /// <summary>Reads config space; bytes beyond the device's config read as zero.</summary>
    public void ReadConfig(int offset, Span<byte> data)
    {
        data.Clear();
        var (start, length) = ClampToConfig(offset, data.Length);
        if (length > 0) _device.ReadConfig(start, data.Slice(start - offset, length));
    }

    /// <summary>Writes config space; bytes beyond the device's config are dropped.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        var (start, length) = ClampToConfig(offset, data.Length);
        if (length > 0) _device.WriteConfig(start, data.Slice(start - offset, length));
    }

    private (int Start, int Length) ClampToConfig(int offset, int length)
    {
        long start = Math.Max(0L, offset);
        long end = Math.Min((long)offset + length, _device.ConfigSize);
        return end > start ? ((int)start, (int)(end - start)) : (0, 0);
    }

    // ---- Activation, errors and reset.

    private void Activate()
    {
        _active = true;
        _device.Activate(new VirtioActivation(_memory, NegotiatedFeatures, _queues, _deviceInterrupts, _ioThread, DeviceNeedsReset));
    }

    /// <summary>A queue found a malformed ring or chain: the device needs a reset.</summary>
    private void QueueBroken(SplitQueue queue) => DeviceNeedsReset($"queue {Array.IndexOf(_queues, queue)}: {queue.Fault}");

    /// <summary>The last error that set DEVICE_NEEDS_RESET, for the VMM's log.</summary>
    public string? DeviceError { get; private set; }

    /// <summary>
    /// Sets DEVICE_NEEDS_RESET; once DRIVER_OK is set the driver must also get a configuration change
    /// notification (§2.1.2).
    /// </summary>
    private void DeviceNeedsReset(string reason)
    {
        bool notify;
        lock (_gate)
        {
            DeviceError ??= reason;
            _status |= VIRTIO_CONFIG_S_NEEDS_RESET;
            notify = (_status & VIRTIO_CONFIG_S_DRIVER_OK) != 0;
        }
        // Straight to the transport: the config space did not change, so its generation stays.
        if (notify) _transportInterrupts.SignalConfigChange();
    }

    /// <summary>
    /// Device reset (§2.4), from a status write of 0 or the transport's own reset: the device stops and forgets
    /// its activation on its thread, the queues return to their initial state, status and features clear.
    /// </summary>
    public void Reset()
    {
        _ioThread.Invoke(() =>
        {
            _device.Reset();
            _active = false;
            foreach (var queue in _queues) queue.Reset();
        });
        lock (_gate)
        {
            _status = 0;
            _driverFeatures = 0;
            DeviceError = null;
        }
        DeviceFeatureSelect = 0;
        DriverFeatureSelect = 0;
        QueueSelect = 0;
        _transportReset?.Invoke();
    }

    /// <summary>Stops watching the kick eventfds and closes them. The device and the event loop belong to the caller.</summary>
    public void Dispose()
    {
        foreach (var watch in _kickWatches) watch.Dispose();
        foreach (var kick in _kicks) kick.Dispose();
    }

    /// <summary>What the device signals through: a config change also moves the config generation (§2.5).</summary>
    private sealed class ConfigGenerationInterrupts(VirtioDeviceState state) : IVirtioInterrupts
    {
        public void SignalUsedBuffers(int queue) => state._transportInterrupts.SignalUsedBuffers(queue);

        public void SignalConfigChange()
        {
            Interlocked.Increment(ref state._configGeneration);
            state._transportInterrupts.SignalConfigChange();
        }
    }
}
