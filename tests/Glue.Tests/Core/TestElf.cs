using System.Buffers.Binary;

namespace Glue.Tests.Core;

/// <summary>Builds small ELF64 x86-64 images in memory: one PT_LOAD segment and, optionally, a Xen PVH note.</summary>
internal static class TestElf
{
    public const int HeaderSize = 64, PhdrSize = 56;

    public static byte[] Build(ulong loadAddress, byte[] code, ulong memorySize, ulong entry, byte[]? pvhNoteDesc = null)
    {
        byte[] note = pvhNoteDesc is null ? [] : Note("Xen\0"u8.ToArray(), 18, pvhNoteDesc);
        int phnum = pvhNoteDesc is null ? 1 : 2;
        int codeOffset = HeaderSize + phnum * PhdrSize;
        int noteOffset = codeOffset + code.Length;
        var image = new byte[noteOffset + note.Length];

        "\x7f"u8.CopyTo(image);
        "ELF"u8.CopyTo(image.AsSpan(1));
        image[4] = 2; // ELFCLASS64
        image[5] = 1; // ELFDATA2LSB
        image[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(16), 2);  // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(18), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), entry);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(54), PhdrSize);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(56), (ushort)phnum);

        WritePhdr(image.AsSpan(HeaderSize), type: 1, (ulong)codeOffset, loadAddress, (ulong)code.Length, memorySize);
        if (pvhNoteDesc is not null) WritePhdr(image.AsSpan(HeaderSize + PhdrSize), type: 4, (ulong)noteOffset, 0, (ulong)note.Length, (ulong)note.Length);
        code.CopyTo(image, codeOffset);
        note.CopyTo(image, noteOffset);
        return image;
    }

    public static byte[] Note(byte[] name, uint type, byte[] desc)
    {
        int nameLen = (name.Length + 3) & ~3, descLen = (desc.Length + 3) & ~3;
        var note = new byte[12 + nameLen + descLen];
        BinaryPrimitives.WriteUInt32LittleEndian(note, (uint)name.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), type);
        name.CopyTo(note, 12);
        desc.CopyTo(note, 12 + nameLen);
        return note;
    }

    private static void WritePhdr(Span<byte> ph, uint type, ulong offset, ulong paddr, ulong filesz, ulong memsz)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(ph, type);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], filesz);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memsz);
    }
}
