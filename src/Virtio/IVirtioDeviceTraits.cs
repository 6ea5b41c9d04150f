namespace Glue.Virtio;

/// <summary>
/// What a device type declares about itself beyond <see cref="IVirtioDevice"/>, for a transport that shares the
/// device with a VMM owning the guest (vhost-user). A device that does not implement it has neither trait.
/// </summary>
public interface IVirtioDeviceTraits
{
    /// <summary>Its queues come in receive/transmit pairs and are counted in pairs (virtio-net's max_virtqueue_pairs, §5.1.4).</summary>
    bool QueuesInPairs { get; }

    /// <summary>
    /// Its config space describes what the VMM owning the guest sets up itself (virtio-net's mac and status come
    /// from that VMM's NIC options), so a backend serving the device leaves the config to that VMM.
    /// </summary>
    bool ConfigSetByOwner { get; }
}
