using System.Buffers.Binary;

namespace Glue.Core.Boot;

/// <summary>
/// The fields of a bzImage's real-mode setup header that a 64-bit loader needs (Documentation/arch/x86/boot.rst,
/// "The real-mode kernel header"); offsets are from the start of the image, as in the zero page.
/// </summary>
public sealed record SetupHeader(
    byte SetupSects, ushort Version, uint Code32Start, uint InitrdAddrMax, uint CmdlineSize,
    ushort XLoadFlags, ulong PrefAddress, uint InitSize, int HeaderEnd)
{
    public const int SetupSectsOffset = 0x1f1;
    private const int BootFlagOffset = 0x1fe;
    private const int JumpOffset = 0x200;
    private const int HeaderMagicOffset = 0x202;
    private const int VersionOffset = 0x206;
    private const int Code32StartOffset = 0x214;
    private const int InitrdAddrMaxOffset = 0x22c;
    private const int XLoadFlagsOffset = 0x236;
    private const int CmdlineSizeOffset = 0x238;
    private const int PrefAddressOffset = 0x258;
    private const int InitSizeOffset = 0x260;

    private const ushort BootFlag = 0xaa55;
    private const uint HdrS = 0x53726448; // "HdrS"
    public const ushort MinimumVersion = 0x206;
    public const ushort XLF_KERNEL_64 = 1 << 0;

    /// <summary>True when the image carries the "HdrS" magic of a Linux boot-protocol image.</summary>
    public static bool IsBzImage(ReadOnlySpan<byte> image) =>
        image.Length > HeaderMagicOffset + 4 && BinaryPrimitives.ReadUInt32LittleEndian(image[HeaderMagicOffset..]) == HdrS;

    /// <summary>The protected-mode kernel starts after the boot sector and setup_sects sectors (0 means 4).</summary>
    public int ProtectedModeOffset => ((SetupSects == 0 ? 4 : SetupSects) + 1) * 512;

    public static SetupHeader Parse(ReadOnlySpan<byte> image)
    {
        if (!IsBzImage(image)) throw new BootException("not a bzImage: no HdrS magic");
        if (image.Length < InitSizeOffset + 4) throw new BootException("bzImage is truncated inside its setup header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(image[BootFlagOffset..]) != BootFlag) throw new BootException("bzImage has no 0xAA55 boot flag");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(image[VersionOffset..]);
        if (version < MinimumVersion)
        {
            throw new BootException($"boot protocol {version >> 8}.{version & 0xff:d2} is too old: Glue needs 2.06 or later");
        }
        // The header ends where the jump at 0x200 lands: 0x202 plus its one-byte displacement.
        int headerEnd = JumpOffset + 2 + image[JumpOffset + 1];
        var header = new SetupHeader(
            image[SetupSectsOffset],
            version,
            BinaryPrimitives.ReadUInt32LittleEndian(image[Code32StartOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(image[InitrdAddrMaxOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(image[CmdlineSizeOffset..]), // 2.06+, which Parse requires
            version >= 0x20c ? BinaryPrimitives.ReadUInt16LittleEndian(image[XLoadFlagsOffset..]) : (ushort)0,
            version >= 0x20a ? BinaryPrimitives.ReadUInt64LittleEndian(image[PrefAddressOffset..]) : 0,
            version >= 0x20a ? BinaryPrimitives.ReadUInt32LittleEndian(image[InitSizeOffset..]) : 0,
            Math.Min(headerEnd, image.Length));
        if (header.ProtectedModeOffset >= image.Length) throw new BootException("bzImage is truncated: no protected-mode kernel after the setup code");
        return header;
    }
}
