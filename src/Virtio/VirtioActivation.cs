using Glue.Core.Memory;
using Glue.Virtio.Events;
using Glue.Virtio.Split;

namespace Glue.Virtio;

/// <summary>
/// Everything a device gets when the driver sets DRIVER_OK: the negotiated features, its queues, guest memory,
/// the interrupt sink, its I/O thread for its own fds, and a way to report that it failed. Made by
/// <see cref="VirtioDeviceState"/>, or by a transport such as vhost-user that drives queues itself.
/// </summary>
public sealed class VirtioActivation(
    GuestMemory memory,
    ulong features,
    IReadOnlyList<SplitQueue> queues,
    IVirtioInterrupts interrupts,
    EventLoop ioThread,
    Action<string> reportDeviceError)
{
    public GuestMemory Memory { get; } = memory;

    /// <summary>The features the driver accepted (FEATURES_OK was set with these).</summary>
    public ulong Features { get; } = features;

    /// <summary>The queues, by index; a queue the driver did not enable pops nothing.</summary>
    public IReadOnlyList<SplitQueue> Queues { get; } = queues;

    public IVirtioInterrupts Interrupts { get; } = interrupts;

    /// <summary>The device's own I/O thread: register backend fds (tap, sockets, files) here.</summary>
    public EventLoop IoThread { get; } = ioThread;

    public bool HasFeature(int bit) => VirtioFeatures.Has(Features, bit);

    /// <summary>After returning used buffers on <paramref name="queue"/>: interrupts the driver if it asked for it (§2.7.7).</summary>
    public void SignalUsedIfNeeded(int queue)
    {
        if (Queues[queue].NeedsNotification()) Interrupts.SignalUsedBuffers(queue);
    }

    /// <summary>
    /// The device hit an error it cannot recover from (§2.1.2): DEVICE_NEEDS_RESET is set and the driver is
    /// told with a configuration change notification. <paramref name="reason"/> is for the VMM's log.
    /// </summary>
    public void ReportDeviceError(string reason) => reportDeviceError(reason);
}
