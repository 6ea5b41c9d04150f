using Glue.Core.Devices;
using Glue.Core.Machine;

namespace Glue.Virtio;

/// <summary>
/// A transport project (virtio-mmio, virtio-pci): it puts a virtio device on a machine, with its registers,
/// notifications and interrupt, and tells the guest where to find it. It knows nothing of the device's semantics.
/// </summary>
public interface IVirtioTransportFeature : IDeviceFeature
{
    /// <summary>Places <paramref name="device"/> on the machine; the machine owns it (and disposes it if it is disposable) from then on.</summary>
    void Attach(VirtualMachine machine, IVirtioDevice device);
}
