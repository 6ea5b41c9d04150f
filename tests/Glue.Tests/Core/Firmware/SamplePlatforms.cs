using Glue.Core.Bus;
using Glue.Core.Firmware;
using Glue.Core.Machine;
using Glue.Core.Memory;
using Glue.Core.Pci;

namespace Glue.Tests.Core.Firmware;

/// <summary>Platforms as glue describes them: COM1, virtio-mmio devices, and a PCI host bridge.</summary>
internal static class SamplePlatforms
{
    /// <summary>The most virtio-mmio devices a VM is expected to have, besides the serial port.</summary>
    public const int MaxVirtioDevices = 32;

    public static PlatformDevice Com1 { get; } = new("COM1", "PNP0501", 0, [new IoPortResource(0x3f8, 8), new InterruptResource(4)]);

    public static PlatformDevice VirtioMmio(int index) => new($"VR{index:d2}", "LNRO0005", (uint)index,
        [new MmioResource(0xd000_0000 + (uint)index * 0x1000, 0x1000), new InterruptResource(5 + (uint)index % 19)]);

    public static PlatformDescription With(int cpus, int virtioDevices = 1) =>
        new(cpus, [Com1, .. Enumerable.Range(0, virtioDevices).Select(VirtioMmio)]);

    /// <summary>COM1, one virtio-mmio device and PCI bus 0 as a 512 MiB machine with a PCI device describes them: PCI0, MRES and the MCFG.</summary>
    public static PlatformDescription WithPci(int cpus)
    {
        var bus = PciBus.Create(new AddressBus("ports"), new AddressBus("mmio"));
        return new(cpus, [.. bus.AcpiDevices(new MachineResources(512 * MemoryLayout.MiB)), Com1, VirtioMmio(0)], bus.Ecam);
    }
}
