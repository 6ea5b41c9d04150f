using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

public sealed class BzImageLoaderTests : LoaderTestBase
{
    private static readonly byte[] Payload = [0xde, 0xad, 0xbe, 0xef, 0x90];
    private static Span<byte> ZeroPageOf(GuestMemory memory) => memory.GetSpan(MemoryLayout.ZeroPage, ZeroPage.Size);

    [Fact]
    public void The_protected_mode_kernel_loads_at_pref_address_and_is_entered_0x200_past_it()
    {
        using var memory = Memory(128);
        var entry = KernelLoader.Load(memory, new BootRequest(WriteFile("bz", TestBzImage.Build(Payload)), null, "console=ttyS0"));
        Assert.Equal(new BootEntry(EntryMode.Long64, new GuestAddress(0x1000200), MemoryLayout.ZeroPage, Linux: true), entry);
        Assert.Equal(Payload, memory.GetSpan(new GuestAddress(0x1000000), Payload.Length).ToArray());
    }

    [Fact]
    public void The_zero_page_holds_the_setup_header_and_what_the_loader_filled_in()
    {
        using var memory = Memory(128);
        byte[] initrd = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        KernelLoader.Load(memory, new BootRequest(WriteFile("bz", TestBzImage.Build(Payload)), WriteFile("i", initrd), "console=ttyS0 quiet"));
        var page = ZeroPageOf(memory);

        Assert.Equal(0xaa55, BinaryPrimitives.ReadUInt16LittleEndian(page[0x1fe..]));
        Assert.Equal("HdrS"u8.ToArray(), page.Slice(0x202, 4).ToArray());
        Assert.Equal(0x020f, BinaryPrimitives.ReadUInt16LittleEndian(page[0x206..]));  // copied from the image
        Assert.Equal(0x1000000UL, BinaryPrimitives.ReadUInt64LittleEndian(page[0x258..]));
        Assert.Equal(0xff, page[0x210]);                                                // type_of_loader
        Assert.Equal(0x81, page[0x211] & 0x81);                                         // LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xffff, BinaryPrimitives.ReadUInt16LittleEndian(page[0x1fa..]));  // vid_mode
        uint cmdline = BinaryPrimitives.ReadUInt32LittleEndian(page[0x228..]);
        Assert.Equal("console=ttyS0 quiet\0"u8.ToArray(), memory.GetSpan(new GuestAddress(cmdline), 20).ToArray());

        uint ramdisk = BinaryPrimitives.ReadUInt32LittleEndian(page[0x218..]);
        Assert.Equal((uint)initrd.Length, BinaryPrimitives.ReadUInt32LittleEndian(page[0x21c..]));
        Assert.Equal(0u, ramdisk % 0x1000);
        Assert.True(ramdisk >= 0x1000000 + 0x10000, "the initrd sits above the kernel's init_size");
        Assert.Equal(initrd, memory.GetSpan(new GuestAddress(ramdisk), initrd.Length).ToArray());
    }

    [Theory]
    [InlineData(128)]
    [InlineData(3072)]
    [InlineData(4096)]
    [InlineData(8192)]
    public void The_e820_map_in_the_zero_page_matches_the_memory_layout(ulong mib)
    {
        using var memory = Memory(mib);
        KernelLoader.Load(memory, new BootRequest(WriteFile("bz", TestBzImage.Build(Payload)), null, ""));
        byte[] page = ZeroPageOf(memory).ToArray();
        int count = page[0x1e8];
        var e820 = Enumerable.Range(0, count).Select(i => page.AsSpan(0x2d0 + i * 20, 20).ToArray())
            .Select(e => (BinaryPrimitives.ReadUInt64LittleEndian(e), BinaryPrimitives.ReadUInt64LittleEndian(e.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(16))))
            .ToList();

        var expected = new List<(ulong, ulong, uint)> { (0, 0x9fc00, 1), (0x9fc00, 0x100000 - 0x9fc00, 2) };
        ulong low = Math.Min(mib * MiB, MemoryLayout.MmioGapStart.Value);
        expected.Add((0x100000, low - 0x100000, 1));
        if (mib * MiB > low) expected.Add((4UL << 30, mib * MiB - low, 1));
        Assert.Equal(expected, e820);
    }

    [Fact]
    public void An_initrd_stays_below_initrd_addr_max()
    {
        using var memory = Memory(512);
        string bz = WriteFile("bz", TestBzImage.Build(Payload, initrdAddrMax: 0x3000000 - 1));
        KernelLoader.Load(memory, new BootRequest(bz, WriteFile("i", new byte[8192]), ""));
        uint ramdisk = BinaryPrimitives.ReadUInt32LittleEndian(ZeroPageOf(memory)[0x218..]);
        Assert.Equal(0x3000000u - 8192, ramdisk);
    }

    [Fact]
    public void A_vmlinux_without_pvh_note_also_gets_a_zero_page_with_cmdline_and_e820()
    {
        using var memory = Memory(64);
        string kernel = WriteFile("vmlinux", TestElf.Build(0x1000000, [0xf4], 0x1000, 0x1000000));
        KernelLoader.Load(memory, new BootRequest(kernel, null, "root=/dev/vda", BootProtocol.Linux64));
        var page = ZeroPageOf(memory);
        Assert.Equal(0xaa55, BinaryPrimitives.ReadUInt16LittleEndian(page[0x1fe..]));
        Assert.Equal("HdrS"u8.ToArray(), page.Slice(0x202, 4).ToArray());
        Assert.Equal(MemoryLayout.CommandLine.Value, BinaryPrimitives.ReadUInt32LittleEndian(page[0x228..]));
        Assert.Equal(MemoryMap.For(memory).Count, page[0x1e8]);
    }

    [Theory]
    [InlineData(0x0205, "too old")]
    [InlineData(0x0100, "too old")]
    public void Boot_protocols_older_than_2_06_are_refused(ushort version, string message)
    {
        using var memory = Memory(64);
        string bz = WriteFile("bz", TestBzImage.Build(Payload, version: version));
        Assert.Contains(message, Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(bz, null, ""))).Message);
    }

    [Fact]
    public void A_kernel_without_a_64_bit_entry_is_refused()
    {
        using var memory = Memory(64);
        string bz = WriteFile("bz", TestBzImage.Build(Payload, xloadflags: 0));
        Assert.Contains("XLF_KERNEL_64", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(bz, null, ""))).Message);
    }

    [Fact]
    public void A_truncated_bzimage_is_refused()
    {
        using var memory = Memory(64);
        var image = TestBzImage.Build(Payload);
        string headerOnly = WriteFile("short", image[..TestBzImage.ProtectedModeOffset]);
        string cut = WriteFile("cut", image[..0x240]);
        Assert.Contains("truncated", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(headerOnly, null, ""))).Message);
        Assert.Contains("truncated", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(cut, null, ""))).Message);
    }

    [Fact]
    public void A_wrong_magic_is_not_taken_for_a_bzimage()
    {
        using var memory = Memory(64);
        var image = TestBzImage.Build(Payload);
        image[0x202] = (byte)'X';
        Assert.Contains("neither a bzImage nor an ELF",
            Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(WriteFile("bad", image), null, ""))).Message);
    }

    [Fact]
    public void A_command_line_longer_than_cmdline_size_is_refused()
    {
        using var memory = Memory(64);
        string bz = WriteFile("bz", TestBzImage.Build(Payload, cmdlineSize: 16));
        KernelLoader.Load(memory, new BootRequest(bz, null, new string('a', 16)));
        var error = Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(bz, null, new string('a', 17))));
        Assert.Contains("cmdline_size", error.Message);
    }

    [Fact]
    public void A_kernel_whose_init_size_exceeds_memory_is_refused()
    {
        using var memory = Memory(32);
        string bz = WriteFile("bz", TestBzImage.Build(Payload, initSize: 64 * 1024 * 1024));
        Assert.Contains("does not fit", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(bz, null, ""))).Message);
    }

    [Fact]
    public void An_initrd_that_does_not_fit_below_the_top_of_memory_is_refused()
    {
        using var memory = Memory(32);
        string bz = WriteFile("bz", TestBzImage.Build(Payload));
        string initrd = WriteFile("i", new byte[16 * MiB]);
        Assert.Contains("initrd", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(bz, initrd, ""))).Message);
    }
}
