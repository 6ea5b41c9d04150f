namespace Glue.Display;

/// <summary>A rectangle of the screen in pixels; empty when either side is 0.</summary>
public readonly record struct ScreenRect(int X, int Y, int Width, int Height)
{
    public static readonly ScreenRect Empty = default;

    public bool IsEmpty => Width <= 0 || Height <= 0;

    public int Right => X + Width;

    public int Bottom => Y + Height;

    /// <summary>The smallest rectangle holding both (damage is kept as one bounding box).</summary>
    public ScreenRect Union(ScreenRect other)
    {
        if (IsEmpty) return other;
        if (other.IsEmpty) return this;
        int x = Math.Min(X, other.X), y = Math.Min(Y, other.Y);
        return new ScreenRect(x, y, Math.Max(Right, other.Right) - x, Math.Max(Bottom, other.Bottom) - y);
    }

    /// <summary>This rectangle cut to a screen of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public ScreenRect ClipTo(int width, int height)
    {
        int x = Math.Clamp(X, 0, width), y = Math.Clamp(Y, 0, height);
        int right = Math.Clamp((long)X + Width > int.MaxValue ? int.MaxValue : X + Width, 0, width);
        int bottom = Math.Clamp((long)Y + Height > int.MaxValue ? int.MaxValue : Y + Height, 0, height);
        return right > x && bottom > y ? new ScreenRect(x, y, right - x, bottom - y) : Empty;
    }
}
