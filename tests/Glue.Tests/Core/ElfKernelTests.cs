using System.Buffers.Binary;
using Glue.Core.Boot;
using Xunit;

namespace Glue.Tests.Core;

public sealed class ElfKernelTests
{
    private static readonly byte[] Code = [0x90, 0x90, 0xf4];

    [Fact]
    public void A_kernel_without_a_pvh_note_has_only_its_64_bit_entry()
    {
        var elf = ElfKernel.Parse(TestElf.Build(0x100000, Code, 0x2000, entry: 0x100000));
        Assert.Equal(0x100000UL, elf.Entry);
        Assert.Null(elf.PvhEntry);
        Assert.Equal([new ElfSegment(TestElf.HeaderSize + TestElf.PhdrSize, 0x100000, 3, 0x2000)], elf.Segments);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void The_xen_phys32_entry_note_gives_the_pvh_entry(int width)
    {
        var desc = new byte[width];
        BinaryPrimitives.WriteUInt32LittleEndian(desc, 0x1000a0);
        var elf = ElfKernel.Parse(TestElf.Build(0x100000, Code, 0x1000, 0x100000, desc));
        Assert.Equal(0x1000a0UL, elf.PvhEntry);
    }

    [Fact]
    public void Notes_of_other_owners_or_types_are_skipped()
    {
        byte[] notes = [
            .. TestElf.Note("GNU\0"u8.ToArray(), 18, [1, 2, 3, 4]),
            .. TestElf.Note("Xen\0"u8.ToArray(), 5, [9, 9, 9, 9]),
            .. TestElf.Note("Xen\0"u8.ToArray(), 18, [0x10, 0, 0x20, 0]),
        ];
        Assert.Equal(0x200010UL, ElfKernel.FindPvhEntry(notes));
        Assert.Null(ElfKernel.FindPvhEntry(notes.AsSpan(0, notes.Length - 2)));
    }

    [Fact]
    public void A_note_owned_by_linux_marks_a_linux_kernel()
    {
        byte[] xenOnly = TestElf.Note("Xen\0"u8.ToArray(), 18, [0x10, 0, 0x20, 0]);
        byte[] linux = [.. xenOnly, .. TestElf.Note("Linux\0"u8.ToArray(), 0x100, [1, 2, 3, 4])];
        Assert.False(ElfKernel.HasLinuxNote(xenOnly));
        Assert.True(ElfKernel.HasLinuxNote(linux));
        Assert.False(ElfKernel.HasLinuxNote(linux.AsSpan(0, linux.Length - 1)));
    }

    [Fact]
    public void Wrong_class_machine_or_magic_is_refused()
    {
        var image = TestElf.Build(0x100000, Code, 0x1000, 0x100000);
        var wrongClass = (byte[])image.Clone();
        wrongClass[4] = 1;
        var wrongMachine = (byte[])image.Clone();
        wrongMachine[18] = 3;
        var wrongMagic = (byte[])image.Clone();
        wrongMagic[1] = (byte)'X';
        Assert.Contains("64-bit", Assert.Throws<BootException>(() => ElfKernel.Parse(wrongClass)).Message);
        Assert.Contains("x86-64", Assert.Throws<BootException>(() => ElfKernel.Parse(wrongMachine)).Message);
        Assert.Throws<BootException>(() => ElfKernel.Parse(wrongMagic));
    }

    [Fact]
    public void Truncated_images_are_refused()
    {
        var image = TestElf.Build(0x100000, Code, 0x1000, 0x100000);
        Assert.Throws<BootException>(() => ElfKernel.Parse(image.AsSpan(0, 40)));
        Assert.Throws<BootException>(() => ElfKernel.Parse(image.AsSpan(0, TestElf.HeaderSize + 10)));
        Assert.Throws<BootException>(() => ElfKernel.Parse(image.AsSpan(0, image.Length - 1)));
    }

    [Fact]
    public void A_segment_with_more_file_bytes_than_memory_is_refused()
    {
        var image = TestElf.Build(0x100000, Code, memorySize: 1, 0x100000);
        Assert.Throws<BootException>(() => ElfKernel.Parse(image));
    }

    [Fact]
    public void A_program_or_shared_library_and_an_entry_outside_every_segment_are_refused()
    {
        var program = TestElf.Build(0x100000, Code, 0x1000, 0x100000);
        program[16] = 3; // ET_DYN, as /bin/ls
        Assert.Contains("ET_DYN", Assert.Throws<BootException>(() => ElfKernel.Parse(program)).Message);
        var outside = TestElf.Build(0x100000, Code, 0x1000, entry: 0x900000);
        Assert.Contains("entry point 0x900000", Assert.Throws<BootException>(() => ElfKernel.Parse(outside)).Message);
    }
}
