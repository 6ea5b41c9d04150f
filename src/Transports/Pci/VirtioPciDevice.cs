using System.Text.Json.Nodes;
using Glue.Core.Bus;
using Glue.Core.Memory;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using static Glue.Transports.Pci.VirtioPciRegisters;
using L = Glue.Transports.Pci.VirtioPciBarLayout;

namespace Glue.Transports.Pci;

/// <summary>
/// One virtio device as a PCI function (virtio 1.2 §4.1, modern only): vendor 0x1af4, device 0x1040 + type,
/// revision 1; configuration space with the virtio capabilities and MSI-X; BAR 0 holding common configuration, ISR,
/// device configuration, the notify area and the MSI-X table and PBA (<see cref="VirtioPciBarLayout"/>). It owns the
/// device's I/O thread and state and, if the device is disposable, the device.
///
/// Interrupts are MSI-X only (no INTx pin): a queue's or the config's vector is raised through the
/// <see cref="MsixTable"/>, which delivers it or holds it pending while masked. With MSI-X disabled only the ISR
/// bits tell the driver anything. Threads: BAR accesses from vCPU threads are serialized by one lock; configuration
/// accesses come serialized by the bus; ISR is set on the device's thread and read-cleared by the driver (interlocked).
/// </summary>
internal sealed class VirtioPciDevice : IPciFunction, IBusDevice, IVirtioInterrupts, ISnapshotPart, IDisposable
{
    private readonly object _registers = new();
    private readonly EventLoop _ioThread;
    private readonly VirtioPciCommonConfig _common;
    private readonly MsixCapability _msixCapability;
    private readonly int _pciCfg;
    private int _isr;
    private bool _disposed;

    /// <param name="route">Points MSI-X vector n's GSI at the message (address, data) the guest programmed.</param>
    /// <param name="deliver">Raises MSI-X vector n (writes its irqfd).</param>
    /// <param name="barMapped">BAR 0 now decodes at this address: move the notify ioeventfds there.</param>
    /// <param name="barUnmapped">BAR 0 no longer decodes at this address.</param>
    public VirtioPciDevice(IVirtioDevice device, GuestMemory memory, string name,
        Action<int, ulong, uint> route, Action<int> deliver, Action<ulong>? barMapped = null, Action<ulong>? barUnmapped = null)
    {
        if (device.QueueMaxSizes.Count > L.MaxQueues)
            throw new ArgumentException($"a virtio-pci device has at most {L.MaxQueues} queues, not {device.QueueMaxSizes.Count}", nameof(device));
        _ioThread = new EventLoop(name);
        try
        {
            State = new VirtioDeviceState(device, memory, this, _ioThread, ResetTransport);
        }
        catch
        {
            _ioThread.Dispose();
            throw;
        }
        Msix = new MsixTable(State.QueueCount + 1, route, deliver);
        _common = new VirtioPciCommonConfig(State, Msix.Vectors);
        Config = new PciConfigSpace(PCI_VENDOR_ID_REDHAT_QUMRANET, (ushort)(VIRTIO_PCI_MODERN_DEVICE_ID_BASE + device.DeviceId),
            device.PciClass, VIRTIO_PCI_MODERN_REVISION, PCI_VENDOR_ID_REDHAT_QUMRANET, VIRTIO_PCI_SUBSYSTEM_ID);
        Bar = new PciBar(L.Bar, L.Size, this, is64Bit: true) { Mapped = barMapped, Unmapped = barUnmapped };
        Config.AddBar(Bar);
        _pciCfg = VirtioPciCapabilities.Add(Config);
        _msixCapability = new MsixCapability(Config, Msix, L.Bar, L.MsixTable, L.MsixPba);
    }

    public VirtioDeviceState State { get; }

    public PciConfigSpace Config { get; }

    public PciBar Bar { get; }

    public MsixTable Msix { get; }

    /// <summary>Where the MSI-X capability is in configuration space.</summary>
    public int MsixCapabilityOffset => _msixCapability.Offset;

    /// <summary>Where the PCI configuration access capability is.</summary>
    public int PciCfgCapabilityOffset => _pciCfg;

    /// <summary>The vector queue <paramref name="queue"/> interrupts on (VIRTIO_MSI_NO_VECTOR: none).</summary>
    public ushort QueueVector(int queue) => _common.QueueVector(queue);

    // ---- IVirtioInterrupts, on the device's I/O thread (a config change may also come from a vCPU thread).

    public void SignalUsedBuffers(int queue)
    {
        // §4.1.4.5.1: the queue bit of ISR is set only while MSI-X is disabled.
        if (!Msix.Enabled) Interlocked.Or(ref _isr, VIRTIO_PCI_ISR_QUEUE);
        else if (_common.QueueVector(queue) is var vector and not VIRTIO_MSI_NO_VECTOR) Msix.Signal(vector);
    }

    public void SignalConfigChange()
    {
        Interlocked.Or(ref _isr, VIRTIO_PCI_ISR_CONFIG);
        if (_common.ConfigVector is var vector and not VIRTIO_MSI_NO_VECTOR) Msix.Signal(vector);
    }

    /// <summary>A device reset unmaps every vector and clears ISR and the pending bits; MSI-X itself stays as the guest set it.</summary>
    private void ResetTransport()
    {
        _common.ResetVectors();
        Volatile.Write(ref _isr, 0);
        Msix.ClearPending();
    }

    // ---- Configuration space: the PCI configuration access window goes to the BAR; MSI-X control reaches the table.

    public void ReadConfig(int offset, Span<byte> data)
    {
        if (offset == _pciCfg + VIRTIO_PCI_CFG_DATA && AccessWindow() is var (barOffset, length) && length <= data.Length)
        {
            data.Clear();
            Read(barOffset, data[..length]);
            return;
        }
        Config.Read(offset, data);
    }

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        if (offset == _pciCfg + VIRTIO_PCI_CFG_DATA)
        {
            if (AccessWindow() is var (barOffset, length) && length <= data.Length) Write(barOffset, data[..length]);
            return;
        }
        Config.Write(offset, data);
        _msixCapability.AfterConfigWrite(offset, data.Length);
    }

    /// <summary>§4.1.4.9: cap.bar, cap.offset and cap.length as the driver set them, if they name an access to BAR 0.</summary>
    private (ulong Offset, int Length)? AccessWindow()
    {
        Span<byte> cap = Config.Bytes(_pciCfg, VirtioPciCfgCapSize);
        uint offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(cap[VIRTIO_PCI_CAP_OFFSET..]);
        uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(cap[VIRTIO_PCI_CAP_LENGTH..]);
        if (cap[VIRTIO_PCI_CAP_BAR] != L.Bar || length is not (1 or 2 or 4) || offset % length != 0 || offset > L.Size - length) return null;
        return (offset, (int)length);
    }

    // ---- BAR 0.

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        switch (Region(offset, out uint at))
        {
            case L.Common:
                lock (_registers) { if (!_disposed) _common.Read(at, data); }
                break;
            case L.Isr:
                // §4.1.4.5: reading ISR status clears it.
                if (at == 0) data[0] = (byte)Interlocked.Exchange(ref _isr, 0);
                break;
            case L.Device:
                lock (_registers) { if (!_disposed) State.ReadConfig((int)at, data); }
                break;
            case L.MsixTable:
                Msix.ReadTable(at, data);
                break;
            case L.MsixPba:
                Msix.ReadPba(at, data);
                break;
            // The notify area reads 0.
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        switch (Region(offset, out uint at))
        {
            case L.Common:
                lock (_registers) { if (!_disposed) _common.Write(at, data); }
                break;
            case L.Device:
                lock (_registers) { if (!_disposed) State.WriteConfig((int)at, data); }
                break;
            case L.Notify:
                // Without an ioeventfd (the BAR just moved, or the access capability) the kick comes here.
                if (at % L.NotifyOffMultiplier == 0) State.NotifyQueue((int)(at / L.NotifyOffMultiplier));
                break;
            case L.MsixTable:
                Msix.WriteTable(at, data);
                break;
            // ISR and the PBA are read-only.
        }
    }

    /// <summary>The structure <paramref name="offset"/> falls in (its window's start) and the offset within it; uint.MaxValue for none.</summary>
    private static uint Region(ulong offset, out uint at)
    {
        at = (uint)(offset & 0xfff);
        return offset < L.Size ? (uint)(offset & ~0xfffUL) : uint.MaxValue;
    }

    // ---- Snapshot: ISR, the vectors and the MSI-X table are the function's own; its configuration space is the bus's
    // part ("pci"); the rest is the virtio state and the device's.

    public JsonObject Save() => new()
    {
        ["isr"] = Volatile.Read(ref _isr),
        ["configVector"] = _common.ConfigVector,
        ["queueVectors"] = new JsonArray([.. Enumerable.Range(0, State.QueueCount).Select(q => (JsonNode)_common.QueueVector(q))]),
        ["msix"] = Msix.Save(),
        ["virtio"] = State.Save(),
    };

    public void AfterSave() => State.AfterSave();

    public void Restore(JsonObject state)
    {
        uint isr = state.U32("isr");
        ulong configVector = state.U64("configVector");
        var queueVectors = state.Array("queueVectors");
        if (queueVectors.Count != State.QueueCount) throw new SnapshotException($"'queueVectors' has {queueVectors.Count} vectors, the device {State.QueueCount} queues");
        var vectors = queueVectors.Select((_, q) => queueVectors.U64At(q, "queueVectors")).ToArray();
        Msix.Restore(state.Object("msix"));
        State.Restore(state.Object("virtio"));
        _common.RestoreVectors(configVector, vectors);
        Volatile.Write(ref _isr, (int)(isr & (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)));
    }

    public void AfterRestore() => State.AfterRestore();

    /// <summary>Stops the device's I/O thread first, then closes the kicks and the device (a disk flushes here).</summary>
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
    }
}
