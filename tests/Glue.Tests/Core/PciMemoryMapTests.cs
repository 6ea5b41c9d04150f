using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

/// <summary>A machine with PCI reserves its ECAM in the memory map both boot protocols hand over (Linux ignores an ECAM that is not).</summary>
public sealed class PciMemoryMapTests : LoaderTestBase
{
    private static readonly MemoryMapEntry Ecam = new(MemoryLayout.PciEcam, MemoryLayout.PciEcamSize, MemoryType.Reserved);

    private static BootPlatform WithEcam => new([], [], null, Reserved: [Ecam]);

    [Fact]
    public void The_pci_windows_and_ecam_lie_in_the_gap_clear_of_each_other_ram_and_the_apics()
    {
        ulong windows = MemoryLayout.DeviceWindows.Value + MemoryLayout.DeviceWindowsSize;
        ulong pci32End = MemoryLayout.PciMemory32.Value + MemoryLayout.PciMemory32Size;
        ulong ecamEnd = MemoryLayout.PciEcam.Value + MemoryLayout.PciEcamSize;
        Assert.True(MemoryLayout.MmioGapStart.Value <= MemoryLayout.DeviceWindows.Value && windows <= MemoryLayout.PciMemory32.Value);
        Assert.True(pci32End <= MemoryLayout.PciEcam.Value && ecamEnd <= MemoryLayout.IoapicBase.Value);
        // The 64-bit window starts on a 64 GiB boundary past the end of RAM.
        Assert.Equal(64 * GiB, MemoryLayout.PciMemory64(512 * MiB).Value);
        Assert.Equal(128 * GiB, MemoryLayout.PciMemory64(70 * GiB).Value);
    }

    [Fact]
    public void A_linux_kernel_finds_the_ecam_reserved_in_its_e820_map_in_address_order()
    {
        using var memory = Memory(64);
        string kernel = WriteFile("k", TestElf.Build(0x200000, [0xf4], 0x1000, 0x200000));
        KernelLoader.Load(memory, new BootRequest(kernel, null, "", BootProtocol.Linux64), WithEcam);

        byte[] page = memory.GetSpan(MemoryLayout.ZeroPage, 0x1000).ToArray();
        int count = page[0x1e8];
        var map = Enumerable.Range(0, count).Select(i =>
        {
            var entry = page.AsSpan(0x2d0 + 20 * i, 20);
            return (BinaryPrimitives.ReadUInt64LittleEndian(entry), BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]), BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]));
        }).ToArray();
        Assert.Equal((MemoryLayout.PciEcam.Value, MemoryLayout.PciEcamSize, (uint)MemoryType.Reserved), map[^1]);
        Assert.Equal(map.OrderBy(e => e.Item1), map);
    }

    [Fact]
    public void A_pvh_kernel_finds_the_ecam_reserved_in_its_memory_map()
    {
        using var memory = Memory(64);
        var desc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(desc, 0x100001);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 0x1000, 0x100000, desc));
        KernelLoader.Load(memory, new BootRequest(kernel, null, ""), WithEcam);

        var info = memory.Read<hvm_start_info>(MemoryLayout.PvhStartInfo);
        var last = memory.Read<hvm_memmap_table_entry>(new GuestAddress(info.memmap_paddr + (info.memmap_entries - 1) * 24UL));
        Assert.Equal((MemoryLayout.PciEcam.Value, MemoryLayout.PciEcamSize, (uint)MemoryType.Reserved), (last.addr, last.size, last.type));
    }

    [Fact]
    public void The_linux_defaults_are_cores_then_the_devices_then_the_users()
    {
        var platform = new BootPlatform(["virtio_mmio.device=4K@0xd0000000:5"], [], null, LinuxDefaults: ["console=ttyS0", "pci=off"]);
        Assert.Equal("panic=1 console=ttyS0 pci=off virtio_mmio.device=4K@0xd0000000:5 quiet",
            platform.CommandLine(new BootRequest("k", null, "quiet", LinuxDefaults: true), linux: true));
        Assert.Equal("virtio_mmio.device=4K@0xd0000000:5 quiet", platform.CommandLine(new BootRequest("k", null, "quiet", LinuxDefaults: true), linux: false));
    }

    private const ulong GiB = MemoryLayout.GiB;
}
