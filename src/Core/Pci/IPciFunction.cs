namespace Glue.Core.Pci;

/// <summary>
/// A function on the PCI bus (function 0 of a slot): its configuration space, whose standard part is a
/// <see cref="PciConfigSpace"/>. Accesses come serialized by the bus, at offsets below 4 KiB, 1, 2 or 4 bytes wide
/// and naturally aligned; a function intercepts the fields with side effects (MSI-X enable and mask, virtio's
/// PCI configuration access window) and leaves the rest to its <see cref="Config"/>.
/// </summary>
public interface IPciFunction
{
    PciConfigSpace Config { get; }

    void ReadConfig(int offset, Span<byte> data);

    void WriteConfig(int offset, ReadOnlySpan<byte> data);
}
