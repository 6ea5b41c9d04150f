using System.Buffers.Binary;

namespace Glue.Tests.Core;

/// <summary>Builds a small bzImage: boot sector and one setup sector with a setup header, then a protected-mode payload.</summary>
internal static class TestBzImage
{
    public const int ProtectedModeOffset = 2 * 512; // setup_sects = 1

    public static byte[] Build(byte[] payload, ushort version = 0x020f, ushort xloadflags = 1, uint cmdlineSize = 2047,
        ulong prefAddress = 0x1000000, uint initSize = 0x10000, uint initrdAddrMax = 0x7fffffff)
    {
        var image = new byte[ProtectedModeOffset + payload.Length];
        image[0x1f1] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x1fe), 0xaa55);
        image[0x200] = 0xeb;
        image[0x201] = 0x66; // the jump lands at 0x268: the header's end
        "HdrS"u8.CopyTo(image.AsSpan(0x202));
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x206), version);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x214), 0x100000);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x22c), initrdAddrMax);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x236), xloadflags);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x238), cmdlineSize);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(0x258), prefAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x260), initSize);
        payload.CopyTo(image, ProtectedModeOffset);
        return image;
    }
}
