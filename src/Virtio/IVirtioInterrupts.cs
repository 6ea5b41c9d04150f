namespace Glue.Virtio;

/// <summary>
/// How a device tells the driver something happened (virtio 1.2 §2.3), implemented by each transport: MMIO sets
/// InterruptStatus bits and writes its irqfd; PCI raises the queue's or config's MSI-X vector; vhost-user writes
/// the queue's call eventfd. Called on the device's I/O thread or a thread of the device's own (the block device's
/// I/O workers), and a config change from a vCPU thread: implementations are thread-safe.
/// </summary>
public interface IVirtioInterrupts
{
    /// <summary>A used buffer notification for queue <paramref name="queue"/> (§2.3: "used buffer notification").</summary>
    void SignalUsedBuffers(int queue);

    /// <summary>A configuration change notification (§2.3): the config space or DEVICE_NEEDS_RESET changed.</summary>
    void SignalConfigChange();
}
