using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>
/// The Linux zero page (struct boot_params, arch/x86/include/uapi/asm/bootparam.h) at
/// <see cref="MemoryLayout.ZeroPage"/>: the setup header copied from a bzImage, what the loader fills in
/// (command line, initrd, loader type) and the e820 map (<see cref="MemoryMap"/>).
/// </summary>
public static class ZeroPage
{
    public const int Size = 0x1000;

    // struct boot_params offsets.
    private const int AcpiRsdpAddrOffset = 0x070;
    private const int E820EntriesOffset = 0x1e8;
    private const int E820TableOffset = 0x2d0;
    private const int E820EntrySize = 20;
    public const int E820MaxEntries = 128;

    // struct setup_header offsets, counted from the start of boot_params.
    private const int VidModeOffset = 0x1fa;
    private const int BootFlagOffset = 0x1fe;
    private const int HeaderMagicOffset = 0x202;
    private const int TypeOfLoaderOffset = 0x210;
    private const int LoadFlagsOffset = 0x211;
    private const int RamdiskImageOffset = 0x218;
    private const int RamdiskSizeOffset = 0x21c;
    private const int HeapEndPtrOffset = 0x224;
    private const int CmdLinePtrOffset = 0x228;

    private const byte LOADED_HIGH = 0x01, CAN_USE_HEAP = 0x80;
    private const ushort VID_MODE_NORMAL = 0xffff;
    // boot.rst: a loader without an assigned id uses 0xff.
    private const byte TypeOfLoaderUndefined = 0xff;

    /// <summary>
    /// Builds the zero page. <paramref name="setupHeader"/> is the image's bytes from 0x1f1 to the header's end
    /// (empty for an ELF vmlinux, which has no setup header: then the boot flag and magic are written alone).
    /// </summary>
    public static void Write(GuestMemory memory, IReadOnlyList<MemoryMapEntry> map, ReadOnlySpan<byte> setupHeader, GuestAddress commandLine, LoadedInitrd? initrd, GuestAddress? rsdp = null)
    {
        Span<byte> page = memory.GetSpan(MemoryLayout.ZeroPage, Size);
        page.Clear();
        if (setupHeader.IsEmpty)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(page[BootFlagOffset..], 0xaa55);
            "HdrS"u8.CopyTo(page[HeaderMagicOffset..]);
        }
        else
        {
            setupHeader.CopyTo(page[SetupHeader.SetupSectsOffset..]);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(page[VidModeOffset..], VID_MODE_NORMAL);
        page[TypeOfLoaderOffset] = TypeOfLoaderUndefined;
        // acpi_rsdp_addr (boot protocol 2.14): read by kernels that know it; older ones find the RSDP by scanning.
        if (rsdp is { } address) BinaryPrimitives.WriteUInt64LittleEndian(page[AcpiRsdpAddrOffset..], address.Value);
        page[LoadFlagsOffset] |= LOADED_HIGH | CAN_USE_HEAP;
        BinaryPrimitives.WriteUInt16LittleEndian(page[HeapEndPtrOffset..], 0xfe00);
        BinaryPrimitives.WriteUInt32LittleEndian(page[CmdLinePtrOffset..], checked((uint)commandLine.Value));
        if (initrd is { } ramdisk)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(page[RamdiskImageOffset..], checked((uint)ramdisk.Address.Value));
            BinaryPrimitives.WriteUInt32LittleEndian(page[RamdiskSizeOffset..], checked((uint)ramdisk.Size));
        }

        if (map.Count > E820MaxEntries) throw new BootException($"memory map has {map.Count} entries, the zero page holds {E820MaxEntries}");
        page[E820EntriesOffset] = (byte)map.Count;
        for (int i = 0; i < map.Count; i++)
        {
            var entry = page.Slice(E820TableOffset + i * E820EntrySize, E820EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, map[i].Start.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], map[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)map[i].Type);
        }
    }
}
