using System.Buffers.Binary;

namespace Glue.Core.Boot;

/// <summary>One PT_LOAD segment: file bytes [Offset, +FileSize) go to guest-physical Address, zero-filled to MemorySize.</summary>
public readonly record struct ElfSegment(ulong Offset, ulong Address, ulong FileSize, ulong MemorySize);

/// <summary>
/// An ELF64 x86-64 kernel image (System V ABI, "ELF-64 Object File Format"): its loadable segments, its entry
/// point, the PVH entry point if a Xen ELF note carries one, and whether it is Linux (a note owned by "Linux").
/// </summary>
public sealed class ElfKernel
{
    // e_ident and e_machine values from elf.h.
    private const byte ELFCLASS64 = 2;
    private const byte ELFDATA2LSB = 1;
    private const ushort EM_X86_64 = 62;
    private const ushort ET_EXEC = 2;
    private const ushort ET_DYN = 3;
    private const uint PT_LOAD = 1;
    private const uint PT_NOTE = 4;
    private const int Elf64EhdrSize = 64;
    private const int Elf64PhdrSize = 56;

    // xen/include/public/elfnote.h: the 32-bit physical entry point of a PVH kernel.
    private const uint XEN_ELFNOTE_PHYS32_ENTRY = 18;

    private ElfKernel(ulong entry, ulong? pvhEntry, bool isLinux, IReadOnlyList<ElfSegment> segments)
    {
        Entry = entry;
        PvhEntry = pvhEntry;
        IsLinux = isLinux;
        Segments = segments;
    }

    /// <summary>e_entry: the 64-bit entry point (a physical address in a Linux vmlinux).</summary>
    public ulong Entry { get; }

    /// <summary>XEN_ELFNOTE_PHYS32_ENTRY, when present.</summary>
    public ulong? PvhEntry { get; }

    /// <summary>A Linux vmlinux: it carries notes owned by "Linux" (include/linux/elfnote.h), e.g. its version.</summary>
    public bool IsLinux { get; }

    public IReadOnlyList<ElfSegment> Segments { get; }

    public static bool HasElfMagic(ReadOnlySpan<byte> image) =>
        image.Length >= 4 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    /// <summary>Parses the headers; throws <see cref="BootException"/> naming what is wrong (and <paramref name="path"/>, if given).</summary>
    public static ElfKernel Parse(ReadOnlySpan<byte> image, string? path = null)
    {
        string file = path is null ? "" : $"{path}: ";
        if (!HasElfMagic(image)) throw new BootException($"{file}not an ELF image");
        if (image.Length < Elf64EhdrSize) throw new BootException($"{file}ELF header is truncated");
        if (image[4] != ELFCLASS64 || image[5] != ELFDATA2LSB) throw new BootException($"{file}not a 64-bit little-endian ELF");
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[18..]) != EM_X86_64) throw new BootException($"{file}ELF is not for x86-64");
        ushort elfType = BinaryPrimitives.ReadUInt16LittleEndian(image[16..]);
        if (elfType != ET_EXEC)
        {
            // A kernel is linked at fixed physical addresses; a PIE program or shared library (/bin/ls) is ET_DYN.
            throw new BootException(elfType == ET_DYN
                ? $"{file}is a program or shared library (ELF type ET_DYN), not a kernel"
                : $"{file}is not an executable ELF (type {elfType}, expected ET_EXEC), not a kernel");
        }

        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(image[24..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(image[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(image[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(image[56..]);
        if (phentsize != Elf64PhdrSize || phnum == 0 || !Fits(image, phoff, (ulong)phnum * Elf64PhdrSize))
        {
            throw new BootException($"{file}ELF program headers are missing or truncated");
        }

        var segments = new List<ElfSegment>();
        ulong? pvhEntry = null;
        bool isLinux = false;
        for (int i = 0; i < phnum; i++)
        {
            var ph = image.Slice((int)phoff + i * Elf64PhdrSize, Elf64PhdrSize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            ulong paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (type is not (PT_LOAD or PT_NOTE)) continue;
            if (!Fits(image, offset, filesz)) throw new BootException($"{file}ELF segment {i} lies outside the file");
            if (type == PT_LOAD)
            {
                if (filesz > memsz) throw new BootException($"{file}ELF segment {i} has more file bytes than memory bytes");
                segments.Add(new ElfSegment(offset, paddr, filesz, memsz));
            }
            else
            {
                var notes = image.Slice((int)offset, (int)filesz);
                pvhEntry ??= FindPvhEntry(notes);
                isLinux |= HasLinuxNote(notes);
            }
        }
        if (segments.Count == 0) throw new BootException($"{file}ELF has no loadable segments");
        if (!segments.Any(s => Contains(s, entry)) && (pvhEntry is null || !segments.Any(s => Contains(s, pvhEntry.Value))))
            throw new BootException($"{file}its entry point 0x{entry:x} lies in none of its loadable segments");
        return new ElfKernel(entry, pvhEntry, isLinux, segments);
    }

    /// <summary>The Xen PHYS32_ENTRY note's value in one PT_NOTE segment, if it has one.</summary>
    internal static ulong? FindPvhEntry(ReadOnlySpan<byte> notes)
    {
        foreach (var note in new NoteReader(notes))
        {
            if (note.Type == XEN_ELFNOTE_PHYS32_ENTRY && note.Name.SequenceEqual("Xen\0"u8))
            {
                return note.Desc.Length switch
                {
                    4 => BinaryPrimitives.ReadUInt32LittleEndian(note.Desc),
                    8 => BinaryPrimitives.ReadUInt64LittleEndian(note.Desc),
                    _ => null,
                };
            }
        }
        return null;
    }

    internal static bool HasLinuxNote(ReadOnlySpan<byte> notes)
    {
        foreach (var note in new NoteReader(notes))
        {
            if (note.Name.SequenceEqual("Linux\0"u8)) return true;
        }
        return false;
    }

    private readonly ref struct Note(ReadOnlySpan<byte> name, uint type, ReadOnlySpan<byte> desc)
    {
        public ReadOnlySpan<byte> Name { get; } = name;
        public uint Type { get; } = type;
        public ReadOnlySpan<byte> Desc { get; } = desc;
    }

    /// <summary>Walks Elf64_Nhdr records (namesz, descsz, type, then 4-byte aligned name and desc); stops at a truncated one.</summary>
    private ref struct NoteReader(ReadOnlySpan<byte> notes)
    {
        private ReadOnlySpan<byte> _rest = notes;

        public Note Current { get; private set; }

        public readonly NoteReader GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < 12) return false;
            uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
            uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(_rest[4..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]);
            ulong nameEnd = 12 + Align4(namesz);
            ulong descEnd = nameEnd + Align4(descsz);
            if (descEnd > (ulong)_rest.Length) return false;
            Current = new Note(_rest.Slice(12, (int)namesz), type, _rest.Slice((int)nameEnd, (int)descsz));
            _rest = _rest[(int)descEnd..];
            return true;
        }
    }

    private static bool Contains(ElfSegment segment, ulong address) =>
        address >= segment.Address && address - segment.Address < segment.MemorySize;

    private static ulong Align4(uint value) => ((ulong)value + 3) & ~3UL;

    private static bool Fits(ReadOnlySpan<byte> image, ulong offset, ulong length) =>
        offset <= (ulong)image.Length && length <= (ulong)image.Length - offset;
}
