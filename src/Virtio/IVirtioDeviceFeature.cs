using Glue.Core.Devices;

namespace Glue.Virtio;

/// <summary>
/// A device project whose devices are virtio devices (blk, net, rng, ...): it makes them from its options and
/// knows nothing of where they go. `glue run` hands each to the build's <see cref="IVirtioTransportFeature"/>;
/// a vhost-user backend serves one to another VMM.
/// </summary>
public interface IVirtioDeviceFeature : IDeviceFeature
{
    /// <summary>The devices the options ask for (none when its options are absent); bad values throw <see cref="DeviceConfigException"/>.</summary>
    IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values);
}
