using Glue.Core.Devices;
using Glue.Virtio;

namespace Glue;

/// <summary>
/// The virtio devices `glue run` makes before it opens /dev/kvm: those of features that need no machine to make them
/// (a disk, a TAP, the entropy device), so that a disk that cannot be opened, or that another VM holds, is refused
/// before KVM is touched. A feature that sets up the machine (<see cref="IMachineSetup"/>) makes its devices in its
/// Setup instead. A device is this object's to close until a transport takes it.
/// </summary>
internal sealed class UnattachedDevices : IDisposable
{
    private readonly Dictionary<IVirtioDeviceFeature, Queue<IVirtioDevice>> _made = [];

    public static UnattachedDevices Make(IEnumerable<(IDeviceFeature Feature, DeviceOptionValues Values)> devices)
    {
        var unattached = new UnattachedDevices();
        try
        {
            foreach (var (feature, values) in devices)
            {
                if (feature is IVirtioDeviceFeature virtio and not IMachineSetup) unattached._made[virtio] = new Queue<IVirtioDevice>(virtio.Create(values));
            }
            return unattached;
        }
        catch
        {
            unattached.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The feature's devices, each handed over as it is enumerated: those made here, or for a feature that set up the
    /// machine, those its Setup made.
    /// </summary>
    public IEnumerable<IVirtioDevice> Take(IVirtioDeviceFeature feature, DeviceOptionValues values)
    {
        if (!_made.TryGetValue(feature, out var queue)) return feature.Create(values);
        return Drain(queue);
    }

    private static IEnumerable<IVirtioDevice> Drain(Queue<IVirtioDevice> queue)
    {
        while (queue.TryDequeue(out var device)) yield return device;
    }

    public void Dispose()
    {
        foreach (var queue in _made.Values)
        {
            foreach (var device in Drain(queue)) (device as IDisposable)?.Dispose();
        }
    }
}
