namespace Glue.Virtio;

/// <summary>
/// What a virtio device (blk, net, rng, console, vsock, ...) implements. It knows nothing of transports: it
/// never sees a register, an irqfd or a PCI capability, only its queues, its config space and an interrupt sink.
///
/// Threads: <see cref="Activate"/>, <see cref="QueueNotify"/> and <see cref="Reset"/> run on the device's own
/// I/O thread (one <see cref="Events.EventLoop"/> per device), as do callbacks of fds it registers there, so a
/// device needs no locks for its queue work. <see cref="ReadConfig"/> and <see cref="WriteConfig"/> run on
/// the vCPU thread that trapped the access.
/// </summary>
public interface IVirtioDevice
{
    // What the device is, declared by the device itself; a transport asks, and names no device type.

    /// <summary>The device ID (§5), one of <see cref="VirtioIds"/>.</summary>
    uint DeviceId { get; }

    /// <summary>Its short name ("blk"): in messages about it and in the names of its transport's threads.</summary>
    string Name { get; }

    /// <summary>
    /// The PCI class code virtio-pci reports for it, one of <see cref="Glue.Core.Pci.PciClassCodes"/> (QEMU's
    /// choice for the same device type), or PCI_CLASS_OTHERS when no class fits.
    /// </summary>
    uint PciClass { get; }

    /// <summary>
    /// The device-type feature bits it offers (§5.x "Feature bits"). <see cref="VirtioFeatures.Core"/> (version 1,
    /// indirect descriptors, event indices) is added by the core and need not be listed.
    /// </summary>
    ulong Features { get; }

    /// <summary>One entry per virtqueue: the largest size it supports, a power of 2 up to 32768.</summary>
    IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <summary>Bytes of its device configuration space (§2.5, the device-specific struct virtio_*_config).</summary>
    int ConfigSize { get; }

    /// <summary>Fills <paramref name="data"/> from its config space at <paramref name="offset"/>; the range is within <see cref="ConfigSize"/>.</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>A driver write to its config space; the range is within <see cref="ConfigSize"/>.</summary>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>
    /// The driver set DRIVER_OK: start serving the queues. Must not throw; a device that cannot run reports it
    /// with <see cref="VirtioActivation.ReportDeviceError"/>.
    /// </summary>
    void Activate(VirtioActivation activation);

    /// <summary>The driver notified (kicked) queue <paramref name="queue"/>: pop what is available.</summary>
    void QueueNotify(int queue);

    /// <summary>
    /// The transport is about to stop using queue <paramref name="queue"/> without a device reset (vhost-user's
    /// GET_VRING_BASE, a disabled ring). A device that completes requests off its I/O thread finishes those in flight
    /// on it first, so that the used ring is final when this returns; others have nothing to do.
    /// </summary>
    void StopQueue(int queue)
    {
    }

    /// <summary>
    /// The driver reset the device (status 0): stop using the queues, unregister the fds it registered, and
    /// forget the activation. Called on every reset, activated or not; the queues are reset after it returns.
    /// </summary>
    void Reset();
}
