namespace Glue.Display;

/// <summary>
/// A reader of a <see cref="DisplaySurface"/> (a VNC client, a recorder): told of changes on the display device's
/// thread, so an implementation only notes the change and wakes its own thread; it never blocks or reads pixels here.
/// </summary>
public interface IDisplayListener
{
    /// <summary>Pixels inside <paramref name="area"/> changed (already clipped to the surface).</summary>
    void Damaged(ScreenRect area);

    /// <summary>The mode changed: the surface is now <paramref name="width"/> x <paramref name="height"/>, all of it new.</summary>
    void Resized(int width, int height);

    /// <summary>The cursor's image, hot spot, position or visibility changed.</summary>
    void CursorChanged();
}
