using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Display;
using Glue.Virtio;
using Glue.Virtio.Events;
using static Glue.Devices.Input.VirtioInput;

namespace Glue.Devices.Input;

/// <summary>
/// A virtio input device (virtio 1.2 §5.8): the eventq carries evdev events to the guest, one per buffer; the
/// statusq brings the guest's own events back (LEDs), which are taken and noted. Display clients call the
/// <see cref="IInputSink"/> side on their threads; events wait in a bounded <see cref="InputEventRing"/> and an
/// eventfd wakes the I/O thread, which moves them into buffers while it has both. Events that come while the
/// driver is not running are dropped: keys pressed before the guest looked are not replayed later.
/// </summary>
public abstract class InputDevice : IVirtioDevice, IInputSink, ISnapshotPart, IDisposable
{
    public const ushort QueueSize = 64;

    private readonly InputConfigSpace _config;
    private readonly InputEventRing _pending = new();
    private readonly EventFd _eventsReady = new();
    private VirtioActivation? _activation;
    private EventRegistration? _eventsRegistration;
    private volatile bool _running;

    protected InputDevice(InputIdentity identity)
    {
        Identity = identity;
        _config = new InputConfigSpace(identity);
    }

    public InputIdentity Identity { get; }

    public uint DeviceId => VirtioIds.VIRTIO_ID_INPUT;

    public string Name => "input";

    public uint PciClass => PciClassCodes.PCI_CLASS_INPUT_OTHER;

    public ulong Features => 0;

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize, QueueSize];

    public int ConfigSize => ConfigBytes;

    /// <summary>The LED state the guest last set through the statusq, one bit per LED_* code.</summary>
    public uint Leds { get; private set; }

    /// <summary>Reports dropped because the guest took no events for a while.</summary>
    public long DroppedReports => _pending.DroppedReports;

    /// <summary>Events waiting for buffers.</summary>
    internal int PendingEvents => _pending.Count;

    public void ReadConfig(int offset, Span<byte> data) => _config.Read(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _config.Write(offset, data);

    /// <summary>
    /// The config pair the driver selected and the LEDs it set. Events not yet in the guest's buffers are not kept:
    /// activation starts with none, as after the driver's own reset.
    /// </summary>
    public JsonObject Save()
    {
        Span<byte> selected = stackalloc byte[2];
        _config.Read(ConfigSelect, selected);
        return new JsonObject { ["select"] = selected[0], ["subsel"] = selected[1], ["leds"] = Leds };
    }

    public void Restore(JsonObject state)
    {
        byte select = state.U8("select"), subsel = state.U8("subsel");
        uint leds = state.U32("leds");
        _config.Write(ConfigSelect, [select, subsel]);
        Leds = leds;
    }

    public abstract void Key(ushort code, bool pressed);

    public abstract void Pointer(int x, int y, int width, int height, PointerButtons buttons);

    /// <summary>Queues one report (its events, then EV_SYN SYN_REPORT, which the caller includes) and wakes the I/O thread.</summary>
    protected void Send(ReadOnlySpan<VirtioInputEvent> report)
    {
        if (!_running || !_pending.TryAddReport(report)) return;
        _eventsReady.Signal();
    }

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        _pending.Clear();
        _eventsRegistration = activation.IoThread.Register(_eventsReady.Handle, () =>
        {
            _eventsReady.Drain();
            DeliverEvents();
        });
        _running = true;
    }

    public void QueueNotify(int queue)
    {
        if (queue == EventQueue) DeliverEvents();
        else if (queue == StatusQueue) TakeStatus();
    }

    public void Reset()
    {
        _running = false;
        _eventsRegistration?.Dispose();
        _eventsRegistration = null;
        _activation = null;
        _pending.Clear();
        Leds = 0;
    }

    /// <summary>Moves pending events into the guest's buffers, one event per buffer, while there are both.</summary>
    private void DeliverEvents()
    {
        if (_activation is not { } activation) return;
        var queue = activation.Queues[EventQueue];
        bool used = false;
        while (_pending.TryPeek(out var e) && queue.TryPop(out var chain))
        {
            chain.Writer.TryWrite(e);   // a buffer too small for an event gets none, and the event goes to the next
            queue.AddUsed(chain.Head, (uint)chain.Writer.Position);
            if (chain.Writer.Position > 0) _pending.RemoveFirst();
            used = true;
        }
        // Out of buffers with events left: the driver's next eventq kick brings us back.
        queue.EnableNotification();
        if (used) activation.SignalUsedIfNeeded(EventQueue);
    }

    /// <summary>The guest's status events (§5.8.6.2): LED changes are noted, anything else is taken and ignored.</summary>
    private void TakeStatus()
    {
        if (_activation is not { } activation) return;
        var queue = activation.Queues[StatusQueue];
        do
        {
            queue.DisableNotification();
            while (queue.TryPop(out var chain))
            {
                while (chain.Reader.TryRead(out VirtioInputEvent e))
                {
                    if (e.Type == InputEventCodes.EV_LED && e.Code < 32)
                        Leds = e.Value != 0 ? Leds | 1u << e.Code : Leds & ~(1u << e.Code);
                }
                queue.AddUsed(chain.Head, 0);
            }
        } while (queue.EnableNotification());
        activation.SignalUsedIfNeeded(StatusQueue);
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        _eventsReady.Dispose();
    }
}
