using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

public sealed class KernelLoaderTests : LoaderTestBase
{
    private static byte[] PvhDesc(uint entry)
    {
        var desc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(desc, entry);
        return desc;
    }

    [Fact]
    public void A_pvh_kernel_gets_start_info_with_cmdline_memmap_and_initrd_module()
    {
        using var memory = Memory(128);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1, 2, 3], 0x3000, 0x100000, PvhDesc(0x100001)));
        byte[] initrdBytes = Enumerable.Range(0, 10000).Select(i => (byte)i).ToArray();
        string initrd = WriteFile("i", initrdBytes);

        var entry = KernelLoader.Load(memory, new BootRequest(kernel, initrd, "console=ttyS0 glue.test=1"));

        Assert.Equal(new BootEntry(EntryMode.Protected32, new GuestAddress(0x100001), MemoryLayout.PvhStartInfo), entry);
        Assert.Equal([1, 2, 3, 0, 0], memory.GetSpan(new GuestAddress(0x100000), 5).ToArray());
        var info = memory.Read<hvm_start_info>(MemoryLayout.PvhStartInfo);
        Assert.Equal(hvm_start_info.XEN_HVM_START_MAGIC_VALUE, info.magic);
        Assert.Equal(1u, info.version);
        Assert.Equal("console=ttyS0 glue.test=1\0"u8.ToArray(), memory.GetSpan(new GuestAddress(info.cmdline_paddr), 26).ToArray());

        var map = Enumerable.Range(0, (int)info.memmap_entries)
            .Select(i => memory.Read<hvm_memmap_table_entry>(new GuestAddress(info.memmap_paddr + (ulong)i * 24))).ToArray();
        Assert.Equal(MemoryMap.For(memory).Select(e => (e.Start.Value, e.Size, (uint)e.Type)), map.Select(e => (e.addr, e.size, e.type)));

        Assert.Equal(1u, info.nr_modules);
        var module = memory.Read<hvm_modlist_entry>(new GuestAddress(info.modlist_paddr));
        Assert.Equal((ulong)initrdBytes.Length, module.size);
        Assert.Equal(0UL, module.paddr % 0x1000);
        Assert.True(module.paddr + module.size <= 128 * MiB);
        Assert.Equal(initrdBytes, memory.GetSpan(new GuestAddress(module.paddr), initrdBytes.Length).ToArray());
    }

    [Fact]
    public void A_kernel_without_pvh_note_is_entered_in_long_mode_on_identity_page_tables()
    {
        using var memory = Memory(64);
        string kernel = WriteFile("k", TestElf.Build(0x200000, [0xf4], 0x1000, 0x200000));
        var entry = KernelLoader.Load(memory, new BootRequest(kernel, null, "", BootProtocol.Linux64));
        Assert.Equal(EntryMode.Long64, entry.Mode);
        Assert.Equal(0x200000UL, entry.EntryPoint.Value);
        // PML4[0] -> PDPT, PDPT[3] -> the fourth directory, whose last entry maps 4 GiB - 2 MiB as a 2 MiB page.
        ulong pdpt = memory.Read<ulong>(MemoryLayout.PageTables) & ~0xfffUL;
        ulong directory3 = memory.Read<ulong>(new GuestAddress(pdpt + 3 * 8)) & ~0xfffUL;
        Assert.Equal((4UL << 30) - (2UL << 20) | 0x83, memory.Read<ulong>(new GuestAddress(directory3 + 511 * 8)));
    }

    [Fact]
    public void A_kernel_larger_than_memory_is_refused()
    {
        using var memory = Memory(8);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 16 * MiB, 0x100000));
        var error = Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(kernel, null, "", BootProtocol.Linux64)));
        Assert.Contains("does not fit", error.Message);
    }

    [Fact]
    public void An_initrd_that_does_not_fit_above_the_kernel_is_refused()
    {
        using var memory = Memory(8);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 4 * MiB, 0x100000, PvhDesc(0x100000)));
        string initrd = WriteFile("i", new byte[4 * MiB]);
        var error = Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(kernel, initrd, "")));
        Assert.Contains("initrd", error.Message);
    }

    [Fact]
    public void A_command_line_beyond_the_limit_is_refused()
    {
        using var memory = Memory(8);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 0x1000, 0x100000, PvhDesc(0x100000)));
        var request = new BootRequest(kernel, null, new string('a', MemoryLayout.CommandLineMax));
        Assert.Contains("command line", Assert.Throws<BootException>(() => KernelLoader.Load(memory, request)).Message);
    }

    [Fact]
    public void Missing_files_and_non_kernels_are_refused_with_the_path()
    {
        using var memory = Memory(8);
        string missing = Path.Combine(Directory, "missing");
        string text = WriteFile("text", "not a kernel"u8.ToArray());
        Assert.Contains(missing, Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(missing, null, ""))).Message);
        Assert.Contains("not a kernel", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(text, null, ""))).Message);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 0x1000, 0x100000));
        Assert.Contains("initrd", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(kernel, Directory, "", BootProtocol.Linux64))).Message);
    }

    [Fact]
    public void An_elf_with_neither_a_pvh_note_nor_linux_notes_boots_only_when_linux64_is_asked_for()
    {
        using var memory = Memory(8);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 0x1000, 0x100000));
        Assert.Contains("neither a PVH entry note", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(kernel, null, ""))).Message);
        Assert.Equal(EntryMode.Long64, KernelLoader.Load(memory, new BootRequest(kernel, null, "", BootProtocol.Linux64)).Mode);
    }

    [Fact]
    public void A_kernel_or_initrd_that_is_not_a_regular_file_or_larger_than_ram_is_refused_before_it_is_read()
    {
        using var memory = Memory(8);
        string kernel = WriteFile("k", TestElf.Build(0x100000, [1], 0x1000, 0x100000, PvhDesc(0x100000)));
        string sparse = Path.Combine(Directory, "sparse");
        using (var file = File.Create(sparse)) file.SetLength(20L << 30);
        Assert.Contains("20 GiB, more than the guest's 8 MiB", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(sparse, null, ""))).Message);
        Assert.Contains("is a character device", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest("/dev/zero", null, ""))).Message);
        Assert.Contains("is a character device", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(kernel, "/dev/zero", ""))).Message);
        Assert.Contains("is a directory", Assert.Throws<BootException>(() => KernelLoader.Load(memory, new BootRequest(Directory, null, ""))).Message);
    }
}
