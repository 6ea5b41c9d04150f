using Glue.Virtio;
using static Glue.Virtio.VirtioStatus;

namespace Glue.Tests.Virtio;

/// <summary>What a driver does to a device through its transport's registers (§3.1.1), for tests of <see cref="VirtioDeviceState"/>.</summary>
internal sealed class VirtioDriverSide(VirtioDeviceState state)
{
    public const byte AckDriver = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

    /// <summary>The driver's side of feature negotiation (§3.1.1 steps 1-6): writes both words, sets FEATURES_OK, reads it back.</summary>
    public bool Negotiate(ulong features)
    {
        state.WriteStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
        state.WriteStatus(AckDriver);
        state.DriverFeatureSelect = 0;
        state.DriverFeatures = (uint)features;
        state.DriverFeatureSelect = 1;
        state.DriverFeatures = (uint)(features >> 32);
        state.WriteStatus(AckDriver | VIRTIO_CONFIG_S_FEATURES_OK);
        return (state.Status & VIRTIO_CONFIG_S_FEATURES_OK) != 0;
    }

    /// <summary>Configures and enables queue 0 on the rings of <paramref name="driver"/>.</summary>
    public void SetUpQueue0(MockSplitQueue driver)
    {
        state.QueueSelect = 0;
        state.QueueSize = driver.Size;
        state.QueueDesc = driver.DescTable.Value;
        state.QueueDriver = driver.AvailRing.Value;
        state.QueueDevice = driver.UsedRing.Value;
        state.QueueReady = true;
    }

    public void DriverOk() => state.WriteStatus(AckDriver | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}
