using static Glue.Core.Pci.PciRegisters;

namespace Glue.Core.Pci;

/// <summary>
/// The host bridge at 00:00.0: a header with IDs and the host bridge class and nothing behind it, as the guest
/// expects to find at the root of bus 0. Intel's 0x0d57 is the ID Cloud Hypervisor gives its virtual host bridge;
/// Linux has no quirks for it (a real chipset's ID would send Linux looking for that chipset's registers).
/// </summary>
public sealed class PciHostBridge : IPciFunction
{
    public const ushort VendorId = 0x8086, DeviceId = 0x0d57;

    public PciConfigSpace Config { get; } = new(VendorId, DeviceId, PCI_CLASS_BRIDGE_HOST, revision: 0);

    public void ReadConfig(int offset, Span<byte> data) => Config.Read(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => Config.Write(offset, data);
}
