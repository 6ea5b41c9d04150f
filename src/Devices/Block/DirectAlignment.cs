using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static Glue.Devices.Block.DiskLibc;

namespace Glue.Devices.Block;

/// <summary>
/// What O_DIRECT asks of a file's transfers (open(2), "O_DIRECT"): buffer addresses aligned to <see cref="Memory"/>,
/// and file offsets and lengths (each buffer's too) multiples of <see cref="Offset"/>. statx's STATX_DIOALIGN
/// (Linux 6.1) says it; an older kernel gets the conservative page alignment for buffers and 512-byte sectors.
/// </summary>
internal readonly record struct DirectAlignment(uint Memory, uint Offset)
{
    public const uint Sector = 512;
    private const uint Page = 4096;

    public static unsafe DirectAlignment Of(SafeFileHandle file)
    {
        byte* statx = stackalloc byte[StatxSize];
        new Span<byte>(statx, StatxSize).Clear();
        int result = Statx((int)file.DangerousGetHandle(), "", AT_EMPTY_PATH, STATX_DIOALIGN, statx);
        var fields = new ReadOnlySpan<byte>(statx, StatxSize);
        if (result != 0 || (BinaryPrimitives.ReadUInt32LittleEndian(fields[StatxMaskOffset..]) & STATX_DIOALIGN) == 0)
            return new DirectAlignment(Page, Sector);
        uint memory = BinaryPrimitives.ReadUInt32LittleEndian(fields[StatxDioMemAlignOffset..]);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(fields[StatxDioOffsetAlignOffset..]);
        // 0 means the file takes no O_DIRECT at all; the open already refused that, so be conservative.
        return new DirectAlignment(memory == 0 ? Page : Math.Max(memory, 1), offset == 0 ? Sector : Math.Max(offset, Sector));
    }
}
