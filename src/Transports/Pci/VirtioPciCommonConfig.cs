using System.Buffers.Binary;
using Glue.Virtio;
using static Glue.Transports.Pci.VirtioPciRegisters;

namespace Glue.Transports.Pci;

/// <summary>
/// struct virtio_pci_common_cfg (virtio 1.2 §4.1.4.3) as a thin map onto <see cref="VirtioDeviceState"/>, plus what
/// only PCI has: the MSI-X vector of the config change and of each queue. A vector beyond the table reads back as
/// VIRTIO_MSI_NO_VECTOR, which is how the driver learns the mapping failed (§4.1.5.1.2). Each field takes accesses
/// of its own width only (the 64-bit queue addresses also as two 32-bit halves, as Linux writes them); anything
/// else reads 0 and is dropped. queue_notify_data and queue_reset read 0: Glue offers neither
/// VIRTIO_F_NOTIF_CONFIG_DATA nor VIRTIO_F_RING_RESET. Not thread-safe: the device serializes register accesses;
/// vectors are read from the device's thread (16-bit reads and writes are atomic).
/// </summary>
internal sealed class VirtioPciCommonConfig
{
    private readonly VirtioDeviceState _state;
    private readonly int _vectors;
    private readonly ushort[] _queueVectors;
    private ushort _configVector = VIRTIO_MSI_NO_VECTOR;

    public VirtioPciCommonConfig(VirtioDeviceState state, int vectors)
    {
        _state = state;
        _vectors = vectors;
        _queueVectors = new ushort[state.QueueCount];
        ResetVectors();
    }

    /// <summary>config_msix_vector.</summary>
    public ushort ConfigVector => Volatile.Read(ref _configVector);

    /// <summary>Queue <paramref name="queue"/>'s queue_msix_vector.</summary>
    public ushort QueueVector(int queue) => Volatile.Read(ref _queueVectors[queue]);

    /// <summary>§4.1.5.1.2: after a device reset no event is mapped to a vector.</summary>
    public void ResetVectors()
    {
        Volatile.Write(ref _configVector, VIRTIO_MSI_NO_VECTOR);
        for (int q = 0; q < _queueVectors.Length; q++) Volatile.Write(ref _queueVectors[q], VIRTIO_MSI_NO_VECTOR);
    }

    /// <summary>A snapshot's vectors back; one beyond the table is no vector, as a driver's write of it would be.</summary>
    public void RestoreVectors(ulong config, IReadOnlyList<ulong> queues)
    {
        Volatile.Write(ref _configVector, Vector(config));
        for (int q = 0; q < _queueVectors.Length; q++) Volatile.Write(ref _queueVectors[q], Vector(queues[q]));
    }

    public void Read(uint offset, Span<byte> data)
    {
        data.Clear();
        ulong? value = (offset, data.Length) switch
        {
            (VIRTIO_PCI_COMMON_DFSELECT, 4) => _state.DeviceFeatureSelect,
            (VIRTIO_PCI_COMMON_DF, 4) => _state.DeviceFeatures,
            (VIRTIO_PCI_COMMON_GFSELECT, 4) => _state.DriverFeatureSelect,
            (VIRTIO_PCI_COMMON_GF, 4) => _state.DriverFeatures,
            (VIRTIO_PCI_COMMON_MSIX, 2) => ConfigVector,
            (VIRTIO_PCI_COMMON_NUMQ, 2) => (ulong)_state.QueueCount,
            (VIRTIO_PCI_COMMON_STATUS, 1) => _state.Status,
            (VIRTIO_PCI_COMMON_CFGGENERATION, 1) => (byte)_state.ConfigGeneration,
            (VIRTIO_PCI_COMMON_Q_SELECT, 2) => (ushort)_state.QueueSelect,
            (VIRTIO_PCI_COMMON_Q_SIZE, 2) => _state.QueueSize,
            (VIRTIO_PCI_COMMON_Q_MSIX, 2) => SelectedQueue is { } q ? QueueVector(q) : VIRTIO_MSI_NO_VECTOR,
            (VIRTIO_PCI_COMMON_Q_ENABLE, 2) => _state.QueueReady ? 1u : 0u,
            // Queue n's notify address is notify_off * notify_off_multiplier from the notify window: n itself.
            (VIRTIO_PCI_COMMON_Q_NOFF, 2) => SelectedQueue is { } q ? (ulong)q : 0,
            (VIRTIO_PCI_COMMON_Q_DESCLO, 4 or 8) => _state.QueueDesc,
            (VIRTIO_PCI_COMMON_Q_DESCHI, 4) => _state.QueueDesc >> 32,
            (VIRTIO_PCI_COMMON_Q_AVAILLO, 4 or 8) => _state.QueueDriver,
            (VIRTIO_PCI_COMMON_Q_AVAILHI, 4) => _state.QueueDriver >> 32,
            (VIRTIO_PCI_COMMON_Q_USEDLO, 4 or 8) => _state.QueueDevice,
            (VIRTIO_PCI_COMMON_Q_USEDHI, 4) => _state.QueueDevice >> 32,
            _ => null,   // queue_notify_data, queue_reset, gaps and odd widths
        };
        if (value is not { } v) return;
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, v);
        bytes[..data.Length].CopyTo(data);
    }

    public void Write(uint offset, ReadOnlySpan<byte> data)
    {
        if (data.Length is not (1 or 2 or 4 or 8)) return;
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        bytes.Clear();
        data.CopyTo(bytes);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        switch (offset, data.Length)
        {
            case (VIRTIO_PCI_COMMON_DFSELECT, 4): _state.DeviceFeatureSelect = (uint)value; break;
            case (VIRTIO_PCI_COMMON_GFSELECT, 4): _state.DriverFeatureSelect = (uint)value; break;
            case (VIRTIO_PCI_COMMON_GF, 4): _state.DriverFeatures = (uint)value; break;
            case (VIRTIO_PCI_COMMON_MSIX, 2): Volatile.Write(ref _configVector, Vector(value)); break;
            case (VIRTIO_PCI_COMMON_STATUS, 1): _state.WriteStatus((byte)value); break;
            case (VIRTIO_PCI_COMMON_Q_SELECT, 2): _state.QueueSelect = (uint)value; break;
            case (VIRTIO_PCI_COMMON_Q_SIZE, 2): _state.QueueSize = (ushort)value; break;
            case (VIRTIO_PCI_COMMON_Q_MSIX, 2):
                if (SelectedQueue is { } q) Volatile.Write(ref _queueVectors[q], Vector(value));
                break;
            case (VIRTIO_PCI_COMMON_Q_ENABLE, 2): _state.QueueReady = value == 1; break;
            case (VIRTIO_PCI_COMMON_Q_DESCLO, 4): _state.QueueDesc = Low(_state.QueueDesc, value); break;
            case (VIRTIO_PCI_COMMON_Q_DESCHI, 4): _state.QueueDesc = High(_state.QueueDesc, value); break;
            case (VIRTIO_PCI_COMMON_Q_DESCLO, 8): _state.QueueDesc = value; break;
            case (VIRTIO_PCI_COMMON_Q_AVAILLO, 4): _state.QueueDriver = Low(_state.QueueDriver, value); break;
            case (VIRTIO_PCI_COMMON_Q_AVAILHI, 4): _state.QueueDriver = High(_state.QueueDriver, value); break;
            case (VIRTIO_PCI_COMMON_Q_AVAILLO, 8): _state.QueueDriver = value; break;
            case (VIRTIO_PCI_COMMON_Q_USEDLO, 4): _state.QueueDevice = Low(_state.QueueDevice, value); break;
            case (VIRTIO_PCI_COMMON_Q_USEDHI, 4): _state.QueueDevice = High(_state.QueueDevice, value); break;
            case (VIRTIO_PCI_COMMON_Q_USEDLO, 8): _state.QueueDevice = value; break;
            // Read-only fields, queue_reset without VIRTIO_F_RING_RESET, gaps: dropped.
        }
    }

    private int? SelectedQueue => _state.QueueSelect < (uint)_queueVectors.Length ? (int)_state.QueueSelect : null;

    private ushort Vector(ulong value) => value < (ulong)_vectors ? (ushort)value : VIRTIO_MSI_NO_VECTOR;

    private static ulong Low(ulong current, ulong value) => current & 0xffff_ffff_0000_0000UL | (uint)value;

    private static ulong High(ulong current, ulong value) => current & 0xffff_ffffUL | (ulong)(uint)value << 32;
}
