using System.Buffers.Binary;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Devices.Gpu;

/// <summary>
/// The eight 32-bit formats a 2D resource may have (§5.7.6.8) and their conversion to the display's pixels. A
/// format's name is its byte order in memory, so a pixel read as a little-endian uint32 has its first byte lowest:
/// B8G8R8X8 reads as 0xXXRRGGBB, the display's own layout. Conversions work a row at a time, allocating nothing.
/// </summary>
internal static class GpuPixelFormat
{
    public const int BytesPerPixel = 4;

    public static bool IsKnown(uint format) => format is VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM or VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM
        or VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM or VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM or VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM
        or VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM or VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM or VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM;

    /// <summary>True for the formats whose fourth channel is padding, not alpha.</summary>
    private static bool IsOpaque(uint format) => format is VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM or VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM
        or VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM or VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM;

    /// <summary>One pixel as 0xAARRGGBB (alpha as stored, even for an X format).</summary>
    private static uint ToArgb(uint format, uint p) => format switch
    {
        VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM or VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM => p,
        VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM or VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM => BinaryPrimitives.ReverseEndianness(p),
        VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM or VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM => SwapRedBlue(p),
        _ => SwapRedBlue(BinaryPrimitives.ReverseEndianness(p)),   // A8B8G8R8, X8B8G8R8
    };

    /// <summary>0xAABBGGRR to 0xAARRGGBB.</summary>
    private static uint SwapRedBlue(uint p) => p & 0xff00ff00 | (p & 0xff) << 16 | (p >> 16) & 0xff;

    /// <summary>A row of resource pixels to display pixels, 0x00RRGGBB.</summary>
    public static void ToDisplay(uint format, ReadOnlySpan<uint> source, Span<uint> destination)
    {
        if (format is VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM or VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM)
        {
            // The console's format: the same layout, only the fourth byte cleared.
            for (int i = 0; i < source.Length; i++) destination[i] = source[i] & 0x00ff_ffff;
            return;
        }
        for (int i = 0; i < source.Length; i++) destination[i] = ToArgb(format, source[i]) & 0x00ff_ffff;
    }

    /// <summary>A row of resource pixels to cursor pixels, 0xAARRGGBB; an X format is opaque.</summary>
    public static void ToCursor(uint format, ReadOnlySpan<uint> source, Span<uint> destination)
    {
        uint opaque = IsOpaque(format) ? 0xff00_0000 : 0;
        for (int i = 0; i < source.Length; i++) destination[i] = ToArgb(format, source[i]) | opaque;
    }
}
