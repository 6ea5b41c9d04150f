using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Glue.Core.Bus;
using Glue.Core.Memory;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using static Glue.Transports.Mmio.VirtioMmioRegisters;

namespace Glue.Transports.Mmio;

/// <summary>
/// One virtio device's 4 KiB virtio-mmio window (virtio 1.2 §4.2.2): a thin map of the registers onto
/// <see cref="VirtioDeviceState"/>, the InterruptStatus bits, and the eventfd that raises the device's interrupt.
/// It owns the device's I/O thread and state and, if the device is disposable, the device.
///
/// Threads: register accesses come from vCPU threads and are serialized by a lock; InterruptStatus is set on the
/// device's I/O thread and read or acknowledged by the driver without that lock (interlocked).
/// A register access of the wrong width, unaligned, or at no register is ignored and reads as 0.
/// </summary>
public sealed class VirtioMmioDevice : IBusDevice, IVirtioInterrupts, ISnapshotPart, IDisposable
{
    public const ulong WindowSize = 0x1000;

    private readonly object _registers = new();
    private readonly EventLoop _ioThread;
    private readonly EventFd _interrupt;
    private uint _interruptStatus;
    private bool _disposed;

    /// <param name="interrupt">Written once per interrupt: the machine makes it an irqfd on the device's GSI.</param>
    public VirtioMmioDevice(IVirtioDevice device, GuestMemory memory, EventFd interrupt, string name)
    {
        _interrupt = interrupt;
        _ioThread = new EventLoop(name);
        try
        {
            State = new VirtioDeviceState(device, memory, this, _ioThread, () => Volatile.Write(ref _interruptStatus, 0));
        }
        catch
        {
            _ioThread.Dispose();
            throw;
        }
    }

    public VirtioDeviceState State { get; }

    /// <summary>The InterruptStatus register: VIRTIO_MMIO_INT_VRING and VIRTIO_MMIO_INT_CONFIG.</summary>
    public uint InterruptStatus => Volatile.Read(ref _interruptStatus);

    // ---- IVirtioInterrupts, on the device's I/O thread (a config change may also come from a vCPU thread).

    public void SignalUsedBuffers(int queue) => Raise(VIRTIO_MMIO_INT_VRING);

    public void SignalConfigChange() => Raise(VIRTIO_MMIO_INT_CONFIG);

    /// <summary>The bit is set before the irqfd write, so the driver's handler always finds why it was called.</summary>
    private void Raise(uint bit)
    {
        Interlocked.Or(ref _interruptStatus, bit);
        _interrupt.Signal();
    }

    // ---- The register file.

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset >= VIRTIO_MMIO_CONFIG)
        {
            ReadConfig(offset, data);
            return;
        }
        data.Clear();
        if (data.Length != 4 || offset % 4 != 0) return;
        uint value;
        lock (_registers)
        {
            if (_disposed) return;
            value = ReadRegister((uint)offset);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= VIRTIO_MMIO_CONFIG)
        {
            WriteConfig(offset, data);
            return;
        }
        if (data.Length != 4 || offset % 4 != 0) return;
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(data);
        lock (_registers)
        {
            if (!_disposed) WriteRegister((uint)offset, value);
        }
    }

    private uint ReadRegister(uint offset) => offset switch
    {
        VIRTIO_MMIO_MAGIC_VALUE => MagicValue,
        VIRTIO_MMIO_VERSION => DeviceVersion,
        VIRTIO_MMIO_DEVICE_ID => State.Device.DeviceId,
        VIRTIO_MMIO_VENDOR_ID => VendorId,
        VIRTIO_MMIO_DEVICE_FEATURES => State.DeviceFeatures,
        VIRTIO_MMIO_QUEUE_NUM_MAX => State.QueueMaxSize,
        VIRTIO_MMIO_QUEUE_READY => State.QueueReady ? 1u : 0u,
        VIRTIO_MMIO_INTERRUPT_STATUS => InterruptStatus,
        VIRTIO_MMIO_STATUS => State.Status,
        VIRTIO_MMIO_CONFIG_GENERATION => State.ConfigGeneration,
        // §4.2.2: a shared memory region that does not exist (Glue's devices have none) reads all ones; 0 would
        // be a region at 0 of length 0, which virtiofs tries to reserve for DAX and fails to probe.
        VIRTIO_MMIO_SHM_LEN_LOW or VIRTIO_MMIO_SHM_LEN_HIGH or VIRTIO_MMIO_SHM_BASE_LOW or VIRTIO_MMIO_SHM_BASE_HIGH => uint.MaxValue,
        _ => 0,   // write-only registers and gaps
    };

    private void WriteRegister(uint offset, uint value)
    {
        switch (offset)
        {
            case VIRTIO_MMIO_DEVICE_FEATURES_SEL: State.DeviceFeatureSelect = value; break;
            case VIRTIO_MMIO_DRIVER_FEATURES: State.DriverFeatures = value; break;
            case VIRTIO_MMIO_DRIVER_FEATURES_SEL: State.DriverFeatureSelect = value; break;
            case VIRTIO_MMIO_QUEUE_SEL: State.QueueSelect = value; break;
            case VIRTIO_MMIO_QUEUE_NUM: State.QueueSize = (ushort)Math.Min(value, ushort.MaxValue); break;
            case VIRTIO_MMIO_QUEUE_READY: State.QueueReady = value == 1; break;
            // Without an ioeventfd (or for a queue it does not match) the kick comes here.
            case VIRTIO_MMIO_QUEUE_NOTIFY: State.NotifyQueue((int)Math.Min(value, int.MaxValue)); break;
            case VIRTIO_MMIO_INTERRUPT_ACK: Interlocked.And(ref _interruptStatus, ~value); break;
            case VIRTIO_MMIO_STATUS: State.WriteStatus((byte)value); break;
            case VIRTIO_MMIO_QUEUE_DESC_LOW: State.QueueDesc = Low(State.QueueDesc, value); break;
            case VIRTIO_MMIO_QUEUE_DESC_HIGH: State.QueueDesc = High(State.QueueDesc, value); break;
            case VIRTIO_MMIO_QUEUE_AVAIL_LOW: State.QueueDriver = Low(State.QueueDriver, value); break;
            case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: State.QueueDriver = High(State.QueueDriver, value); break;
            case VIRTIO_MMIO_QUEUE_USED_LOW: State.QueueDevice = Low(State.QueueDevice, value); break;
            case VIRTIO_MMIO_QUEUE_USED_HIGH: State.QueueDevice = High(State.QueueDevice, value); break;
            // Read-only registers and gaps: the write is dropped.
        }
    }

    private static ulong Low(ulong current, uint value) => current & 0xffff_ffff_0000_0000UL | value;

    private static ulong High(ulong current, uint value) => current & 0xffff_ffffUL | (ulong)value << 32;

    // ---- Device configuration space: any width; bytes beyond the device's config read 0 and drop writes.

    private void ReadConfig(ulong offset, Span<byte> data)
    {
        data.Clear();
        lock (_registers)
        {
            if (!_disposed) State.ReadConfig((int)(offset - VIRTIO_MMIO_CONFIG), data);
        }
    }

    private void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_registers)
        {
            if (!_disposed) State.WriteConfig((int)(offset - VIRTIO_MMIO_CONFIG), data);
        }
    }

    // ---- Snapshot: InterruptStatus is all the window keeps of its own; the rest is the virtio state and the device's.

    public JsonObject Save() => new() { ["interruptStatus"] = InterruptStatus, ["virtio"] = State.Save() };

    public void AfterSave() => State.AfterSave();

    public void Restore(JsonObject state)
    {
        uint interruptStatus = state.U32("interruptStatus");
        State.Restore(state.Object("virtio"));
        Volatile.Write(ref _interruptStatus, interruptStatus & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG));
    }

    public void AfterRestore() => State.AfterRestore();

    /// <summary>
    /// Stops the device's I/O thread first, so nothing touches guest memory or the backend afterwards; then
    /// closes the kicks, the device (a disk flushes its file here) and the interrupt eventfd.
    /// </summary>
    public void Dispose()
    {
        lock (_registers)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _ioThread.Dispose();
        State.Dispose();
        (State.Device as IDisposable)?.Dispose();
        _interrupt.Dispose();
    }
}
