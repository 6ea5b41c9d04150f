using Glue.Core.Bus;

namespace Glue.Core.Pci;

/// <summary>
/// ECAM (PCI Express Base 4.0, 7.2.2): the configuration space of bus b, device d, function f, register r at
/// offset b &lt;&lt; 20 | d &lt;&lt; 15 | f &lt;&lt; 12 | r of the window, so each access is a single MMIO exit.
/// </summary>
internal sealed class PciEcamRegion(PciBus bus) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data) =>
        bus.Read((uint)(offset >> 20), (uint)(offset >> 15) & 0x1f, (uint)(offset >> 12) & 0x7, (int)(offset & 0xfff), data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) =>
        bus.Write((uint)(offset >> 20), (uint)(offset >> 15) & 0x1f, (uint)(offset >> 12) & 0x7, (int)(offset & 0xfff), data);
}
