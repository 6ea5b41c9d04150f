using System.Text.Json.Nodes;
using Glue.Core.Memory;
using Glue.Core.Snapshot;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Virtio;

/// <summary>
/// What a snapshot keeps of the driver-facing state (virtio 1.2 §2.1-§2.7): the status byte, the accepted features, the
/// config generation, the select registers, and each queue's configuration and where its rings stand, with the
/// device's own state (<see cref="ISnapshotPart"/>) inside. The device is stopped on its own thread first: each queue's
/// requests in flight finish (<see cref="IVirtioDevice.StopQueue"/>), and the thread then runs nothing until
/// <see cref="AfterSave"/>, so neither the rings nor the buffers in guest RAM move while RAM is written.
/// </summary>
public sealed partial class VirtioDeviceState
{
    private IDisposable? _held;

    /// <summary>The device's and the queues' state; the device holds still until <see cref="AfterSave"/>.</summary>
    public JsonObject Save()
    {
        JsonObject? state = null;
        _held = _ioThread.Hold(() =>
        {
            if (_active)
            {
                for (int q = 0; q < _queues.Length; q++) _device.StopQueue(q);
            }
            var queues = new JsonArray();
            for (int q = 0; q < _queues.Length; q++)
            {
                var queue = _queues[q];
                // A chain popped and not used would be lost: the device's StopQueue finishes every one.
                if (queue.NextAvail != queue.NextUsed)
                    throw new SnapshotException($"{_device.Name}: queue {q} holds {(ushort)(queue.NextAvail - queue.NextUsed)} requests it has not finished");
                queues.Add((JsonNode)new JsonObject
                {
                    ["size"] = queue.Size,
                    ["desc"] = queue.DescTable.Value,
                    ["driver"] = queue.AvailRing.Value,
                    ["device"] = queue.UsedRing.Value,
                    ["ready"] = queue.IsReady,
                    ["nextAvail"] = queue.NextAvail,
                    ["nextUsed"] = queue.NextUsed,
                });
            }
            lock (_gate)
            {
                state = new JsonObject
                {
                    ["status"] = _status,
                    ["driverFeatures"] = _driverFeatures,
                    ["configGeneration"] = ConfigGeneration,
                    ["deviceFeatureSelect"] = DeviceFeatureSelect,
                    ["driverFeatureSelect"] = DriverFeatureSelect,
                    ["queueSelect"] = QueueSelect,
                    ["queues"] = queues,
                };
            }
            if (_device is ISnapshotPart part) state["device"] = part.Save();
        });
        return state!;
    }

    /// <summary>Lets the device's thread run again once guest RAM is written.</summary>
    public void AfterSave()
    {
        Interlocked.Exchange(ref _held, null)?.Dispose();
        if (_device is ISnapshotPart part) _ioThread.Invoke(part.AfterSave);
    }

    /// <summary>
    /// Gives the state back to a device just attached with the same options: every field of the virtio state is read
    /// and checked before anything is set; the device's own state goes last. The device itself starts (is activated
    /// and its queues looked at) in <see cref="AfterRestore"/>.
    /// </summary>
    public void Restore(JsonObject state)
    {
        byte status = state.U8("status");
        ulong features = state.U64("driverFeatures");
        if ((status & VIRTIO_CONFIG_S_FEATURES_OK) != 0 && !FeaturesAcceptable(features))
            throw new SnapshotException($"'driverFeatures' 0x{features:x} are not features this {_device.Name} device offers (0x{OfferedFeatures:x})");
        var queues = state.Array("queues");
        if (queues.Count != _queues.Length) throw new SnapshotException($"'queues' has {queues.Count} queues, this {_device.Name} device {_queues.Length}");
        var saved = queues.Select((queue, q) => SavedQueue.Read(queue, $"queues[{q}]", _queues[q].MaxSize)).ToArray();
        var device = _device is ISnapshotPart ? state.Object("device") : null;
        uint generation = state.U32("configGeneration"), deviceFeatureSelect = state.U32("deviceFeatureSelect");
        uint driverFeatureSelect = state.U32("driverFeatureSelect"), queueSelect = state.U32("queueSelect");

        lock (_gate)
        {
            _status = status;
            _driverFeatures = features;
        }
        _configGeneration = generation;
        DeviceFeatureSelect = deviceFeatureSelect;
        DriverFeatureSelect = driverFeatureSelect;
        QueueSelect = queueSelect;
        for (int q = 0; q < _queues.Length; q++) saved[q].ApplyTo(_queues[q], NegotiatedFeatures);
        if (device is not null) _ioThread.Invoke(() => ((ISnapshotPart)_device).Restore(device));
    }

    /// <summary>
    /// The vCPUs have their state: a device the driver had started is activated again, and each ready queue is looked
    /// at once and interrupts once, for a kick or an interrupt the snapshot caught on its way (a spurious one is harmless,
    /// §2.7.7: the driver finds nothing new).
    /// </summary>
    public void AfterRestore()
    {
        if ((Status & VIRTIO_CONFIG_S_DRIVER_OK) == 0 || (Status & VIRTIO_CONFIG_S_NEEDS_RESET) != 0) return;
        _ioThread.Invoke(() =>
        {
            Activate();
            (_device as ISnapshotPart)?.AfterRestore();
        });
        for (int q = 0; q < _queues.Length; q++)
        {
            if (!_queues[q].IsReady) continue;
            _kicks[q].Signal();
            _transportInterrupts.SignalUsedBuffers(q);
        }
    }

    /// <summary>One queue as saved, checked against the queue it goes to.</summary>
    private readonly record struct SavedQueue(ushort Size, ulong Desc, ulong Driver, ulong Device, bool Ready, ushort NextAvail, ushort NextUsed)
    {
        public static SavedQueue Read(JsonNode? node, string field, ushort maxSize)
        {
            var queue = node as JsonObject ?? throw new SnapshotException($"'{field}' is not an object");
            ulong size = queue.U64("size");
            if (size == 0 || size > maxSize || !ulong.IsPow2(size)) throw new SnapshotException($"'{field}' has size {size}; the queue takes a power of 2 up to {maxSize}");
            return new((ushort)size, queue.U64("desc"), queue.U64("driver"), queue.U64("device"), queue.Bool("ready"),
                Index(queue, field, "nextAvail"), Index(queue, field, "nextUsed"));
        }

        private static ushort Index(JsonObject queue, string field, string name) =>
            queue.U64(name) is var index and <= ushort.MaxValue ? (ushort)index : throw new SnapshotException($"'{field}.{name}' is not a ring index");

        /// <summary>A ready queue is enabled again as the driver enabled it: checked against guest memory, it breaks if it does not fit.</summary>
        public void ApplyTo(Split.SplitQueue queue, ulong features)
        {
            queue.Size = Size;
            queue.DescTable = new GuestAddress(Desc);
            queue.AvailRing = new GuestAddress(Driver);
            queue.UsedRing = new GuestAddress(Device);
            queue.SetIndices(NextAvail, NextUsed);
            if (Ready) queue.Enable(features);
        }
    }
}
