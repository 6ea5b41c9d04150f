namespace Glue.BuildTests;

/// <summary>
/// The picture the test guest's gpu test leaves on scanout 0 (tests/guest/test_gpu.c): eight colour bars over the
/// top half, a gradient below that differs in every channel by position, and a rectangle across the middle
/// redrawn and flushed on its own. A screenshot must show exactly these pixels.
/// </summary>
public static class GpuPicture
{
    private static readonly uint[] Bars = [0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000];

    public static uint Expected(int x, int y, int w, int h)
    {
        int left = w / 4, top = h / 2 - h / 8, columns = w / 4, rows = h / 4;
        if (x >= left && x < left + columns && y >= top && y < top + rows)
            return (uint)((y - top) * 255 / (rows - 1) << 16 | 0x40 << 8 | (x - left) * 255 / (columns - 1));
        if (y < h / 2) return Bars[x * 8 / w];
        return (uint)(x * 255 / (w - 1) << 16 | y * 255 / (h - 1) << 8 | (x + y) & 0xff);
    }

    /// <summary>Null when <paramref name="image"/> is the picture for its size, else where and how it first differs.</summary>
    public static string? FirstDifference(PngImage image, int width, int height)
    {
        if (image.Width != width || image.Height != height) return $"the image is {image.Width}x{image.Height}, expected {width}x{height}";
        int wrong = 0;
        string? first = null;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                uint want = Expected(x, y, width, height), got = image.Pixels[y * width + x];
                if (want == got) continue;
                wrong++;
                first ??= $"pixel ({x}, {y}) is 0x{got:x6}, expected 0x{want:x6}";
            }
        return first is null ? null : $"{first} ({wrong} pixels differ)";
    }
}
