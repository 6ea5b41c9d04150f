using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

/// <summary>
/// The loader against the real Debian bzImage and initramfs (tests/linux makes them; skipped where it has not): every
/// zero-page field Documentation/arch/x86/boot.rst has the loader fill in, read back from guest memory and checked
/// against the image's own header bytes.
/// </summary>
public sealed class DebianKernelImageTests : LoaderTestBase
{
    private const string CommandLine = "console=ttyS0 root=/dev/vda";
    private static readonly GuestAddress Rsdp = MemoryLayout.AcpiTables;

    [DebianKernelTheory]
    [InlineData(128)]
    [InlineData(3072)]
    [InlineData(4096)]
    [InlineData(8192)]
    public void The_zero_page_for_the_debian_bzimage_follows_the_boot_protocol(ulong mib)
    {
        string kernel = DebianKernelTheoryAttribute.File("vmlinuz"), initrd = DebianKernelTheoryAttribute.File("initramfs.cpio.gz");
        byte[] image = File.ReadAllBytes(kernel);
        using var memory = Memory(mib);

        var entry = KernelLoader.Load(memory, new BootRequest(kernel, initrd, CommandLine), new BootPlatform([], [], Rsdp));
        var page = memory.GetSpan(MemoryLayout.ZeroPage, ZeroPage.Size);

        // The setup header, copied from 0x1f1 to its end (0x202 + the byte at 0x201), is the image's but for the loader's fields.
        int headerEnd = 0x202 + image[0x201];
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x206));
        Assert.True(version >= 0x20c, $"Debian's kernel speaks boot protocol 0x{version:x}");
        int[] loaderFields = [0x210, 0x211, 0x218, 0x219, 0x21a, 0x21b, 0x21c, 0x21d, 0x21e, 0x21f, 0x224, 0x225, 0x228, 0x229, 0x22a, 0x22b];
        for (int offset = 0x1f1; offset < headerEnd; offset++)
            if (!loaderFields.Contains(offset) && offset is not (0x1fa or 0x1fb)) Assert.Equal(image[offset], page[offset]);
        Assert.Equal(0xaa55, BinaryPrimitives.ReadUInt16LittleEndian(page[0x1fe..]));   // boot_flag
        Assert.Equal("HdrS"u8.ToArray(), page.Slice(0x202, 4).ToArray());               // header
        Assert.Equal(0xff, page[0x210]);                                                 // type_of_loader: undefined
        Assert.Equal(0x81, page[0x211] & 0x81);                                          // loadflags: LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xfe00, BinaryPrimitives.ReadUInt16LittleEndian(page[0x224..]));   // heap_end_ptr
        Assert.Equal(Rsdp.Value, BinaryPrimitives.ReadUInt64LittleEndian(page[0x070..])); // acpi_rsdp_addr

        // cmd_line_ptr: the command line, NUL-terminated, within cmdline_size.
        uint cmdline = BinaryPrimitives.ReadUInt32LittleEndian(page[0x228..]);
        uint cmdlineSize = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(0x238));
        Assert.True(CommandLine.Length <= cmdlineSize);
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes(CommandLine + "\0"), memory.GetSpan(new GuestAddress(cmdline), CommandLine.Length + 1).ToArray());

        // The protected-mode kernel at pref_address, entered 0x200 past it; init_size free behind it.
        ulong prefAddress = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x258));
        uint initSize = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(0x260));
        int setupBytes = (image[0x1f1] + 1) * 512;
        Assert.Equal(new BootEntry(EntryMode.Long64, new GuestAddress(prefAddress + 0x200), MemoryLayout.ZeroPage, Linux: true), entry);
        Assert.True(memory.GetSpan(new GuestAddress(prefAddress), image.Length - setupBytes).SequenceEqual(image.AsSpan(setupBytes)));

        // The initrd: page aligned, above the kernel's init_size, below initrd_addr_max and the top of low RAM.
        byte[] ramdiskBytes = File.ReadAllBytes(initrd);
        uint ramdisk = BinaryPrimitives.ReadUInt32LittleEndian(page[0x218..]);
        uint initrdAddrMax = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(0x22c));
        Assert.Equal((uint)ramdiskBytes.Length, BinaryPrimitives.ReadUInt32LittleEndian(page[0x21c..]));
        Assert.Equal(0u, ramdisk % 0x1000);
        Assert.True(ramdisk >= prefAddress + initSize);
        Assert.True((ulong)ramdisk + (ulong)ramdiskBytes.Length - 1 <= Math.Min(initrdAddrMax, memory.Regions[0].End.Value - 1));
        Assert.True(memory.GetSpan(new GuestAddress(ramdisk), ramdiskBytes.Length).SequenceEqual(ramdiskBytes));

        // e820: low RAM, the EBDA and BIOS area reserved, RAM from 1 MiB to the MMIO gap, the rest above 4 GiB.
        int count = page[0x1e8];
        byte[] table = page.Slice(0x2d0, count * 20).ToArray();
        var e820 = Enumerable.Range(0, count)
            .Select(i => table.AsSpan(i * 20, 20).ToArray())
            .Select(e => (BinaryPrimitives.ReadUInt64LittleEndian(e), BinaryPrimitives.ReadUInt64LittleEndian(e.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(16))))
            .ToList();
        const uint Ram = 1, Reserved = 2;
        ulong bytes = mib * MiB, belowGap = Math.Min(bytes, 0xd000_0000);
        List<(ulong, ulong, uint)> expected = [(0, 0x9fc00, Ram), (0x9fc00, 0x60400, Reserved), (0x100000, belowGap - 0x100000, Ram)];
        if (bytes > belowGap) expected.Add((0x1_0000_0000, bytes - belowGap, Ram));
        Assert.Equal(expected, e820);
    }
}
