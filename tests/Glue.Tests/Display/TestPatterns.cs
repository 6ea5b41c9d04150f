using Glue.Display;

namespace Glue.Tests.Display;

/// <summary>
/// The test-only writer of a <see cref="DisplaySurface"/>, standing in for the display device: the known pattern the
/// issue asks for (eight colour bars over the top half, a gradient below in which every channel and position varies)
/// and a text-like page (black glyph strokes on white) for the size comparison.
/// </summary>
internal static class TestPatterns
{
    private static readonly uint[] Bars = [0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000];

    public static uint ColourBarsAndGradient(int x, int y, int width, int height)
    {
        if (y < height / 2) return Bars[Math.Min(Bars.Length - 1, x * Bars.Length / width)];
        uint red = (uint)(x * 255 / Math.Max(1, width - 1));
        uint green = (uint)((y - height / 2) * 255 / Math.Max(1, height - height / 2 - 1));
        uint blue = (uint)((x + y) & 0xff);
        return red << 16 | green << 8 | blue;
    }

    /// <summary>Rows of 8x16 "glyphs" made of strokes that vary with the character cell, like a console of text.</summary>
    public static uint Text(int x, int y, int width, int height)
    {
        int column = x / 8, row = y / 16, cx = x % 8, cy = y % 16;
        int glyph = (column * 7 + row * 13) % 23;
        if (glyph < 4 || cy < 3 || cy > 13 || cx == 7) return 0xffffffu; // spaces, line gaps, letter gaps
        bool stroke = (cx == glyph % 6) || (cy == 3 + glyph % 10) || (cx + cy) % (3 + glyph % 5) == 0;
        return stroke ? 0x000000u : 0xffffffu;
    }

    public static uint[] Draw(Func<int, int, int, int, uint> pattern, int width, int height)
    {
        var pixels = new uint[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = pattern(x, y, width, height);
        return pixels;
    }

    /// <summary>Writes the whole pattern into the surface the way the device does: under its lock, then Publish.</summary>
    public static void Fill(DisplaySurface surface, Func<int, int, int, int, uint> pattern)
    {
        lock (surface.Lock) Draw(pattern, surface.Width, surface.Height).CopyTo(surface.Pixels);
        surface.Publish(new ScreenRect(0, 0, surface.Width, surface.Height));
    }

    /// <summary>Paints one rectangle one colour and publishes only it.</summary>
    public static void FillRect(DisplaySurface surface, ScreenRect area, uint colour)
    {
        lock (surface.Lock)
        {
            for (int y = area.Y; y < area.Bottom; y++) surface.Pixels.Slice(y * surface.Width + area.X, area.Width).Fill(colour);
        }
        surface.Publish(area);
    }

    public static uint[] Snapshot(DisplaySurface surface)
    {
        lock (surface.Lock) return surface.Pixels.ToArray();
    }
}
