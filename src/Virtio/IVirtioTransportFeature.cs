using Glue.Core.Devices;
using Glue.Core.Machine;

namespace Glue.Virtio;

/// <summary>
/// A transport project (virtio-mmio, virtio-pci): it puts a virtio device on a machine, with its registers,
/// notifications and interrupt, and tells the guest where to find it. It knows nothing of the device's semantics.
/// A build may have several; `glue run --virtio-transport` picks one per VM.
/// </summary>
public interface IVirtioTransportFeature : IDeviceFeature
{
    /// <summary>The value of `--virtio-transport` that picks it: "mmio", "pci" (kvmtool's names).</summary>
    string TransportName { get; }

    /// <summary>Places <paramref name="device"/> on the machine; the machine owns it (and disposes it if it is disposable) from then on.</summary>
    void Attach(IDevicePlatform machine, IVirtioDevice device);
}
