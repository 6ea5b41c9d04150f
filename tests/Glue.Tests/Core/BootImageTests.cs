using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

/// <summary>
/// A kernel, initrd and command line are read, checked and placed with no guest memory at all (as `glue run` does
/// before it opens /dev/kvm); the loader then writes them where the image says.
/// </summary>
public sealed class BootImageTests : LoaderTestBase
{
    private static IReadOnlyList<(GuestAddress Start, ulong Size)> Ram(ulong mib) => MemoryLayout.RamRanges(mib * MiB);

    private string PvhKernel(ulong size = 0x1000)
    {
        var desc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(desc, 0x100000);
        return WriteFile("k", TestElf.Build(0x100000, [1], size, 0x100000, desc));
    }

    [Fact]
    public void What_cannot_boot_is_refused_without_guest_memory()
    {
        Assert.Contains("does not fit", Assert.Throws<BootException>(() => BootImage.Read(new BootRequest(PvhKernel(16 * MiB), null, ""), Ram(8))).Message);
        string initrd = WriteFile("i", new byte[8 * MiB]);
        Assert.Contains("initrd", Assert.Throws<BootException>(() => BootImage.Read(new BootRequest(PvhKernel(), initrd, ""), Ram(8))).Message);
        var longLine = new BootRequest(PvhKernel(), null, new string('a', MemoryLayout.CommandLineMax));
        Assert.Contains("give a shorter -p", Assert.Throws<BootException>(() => BootImage.Read(longLine, Ram(8))).Message);
    }

    [Fact]
    public void The_loader_puts_the_initrd_where_the_image_placed_it()
    {
        byte[] initrdBytes = [9, 8, 7, 6];
        var image = BootImage.Read(new BootRequest(PvhKernel(), WriteFile("i", initrdBytes), ""), Ram(16));
        var place = Assert.NotNull(image.InitrdPlace);
        Assert.True(image.Pvh);
        using var memory = Memory(16);
        KernelLoader.Load(memory, image);
        Assert.Equal(initrdBytes, memory.GetSpan(place.Address, initrdBytes.Length).ToArray());
    }

    [Fact]
    public void The_whole_command_line_is_checked_as_it_is_written()
    {
        var image = BootImage.Read(new BootRequest(PvhKernel(), null, new string('a', MemoryLayout.CommandLineMax - 2)), Ram(16));
        using var memory = Memory(16);
        var devices = new BootPlatform(["virtio_mmio.device=4K@0xd0000000:5"], [], null);
        Assert.Contains("command line", Assert.Throws<BootException>(() => KernelLoader.Load(memory, image, devices)).Message);
    }

    [Fact]
    public void An_image_is_loaded_only_into_ram_of_the_size_it_was_placed_in()
    {
        var image = BootImage.Read(new BootRequest(PvhKernel(), null, ""), Ram(16));
        using var memory = Memory(32);
        Assert.Throws<ArgumentException>(() => KernelLoader.Load(memory, image));
    }
}
