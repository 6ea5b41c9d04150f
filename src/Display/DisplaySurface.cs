namespace Glue.Display;

/// <summary>
/// The guest's screen as the host sees it: what the display device last flushed, as 32-bit pixels 0x00RRGGBB
/// (B8G8R8X8 in memory: bytes B, G, R, X), row y starting at y * <see cref="Width"/>.
///
/// One writer, the display device: it changes pixels inside <c>lock (surface.Lock)</c> and then calls
/// <see cref="Publish"/> outside it. Readers (VNC clients, screenshots) copy pixels inside the lock and send them
/// outside it, so a slow client never holds the device. The cursor is kept apart from the pixels, as a VNC
/// client draws it itself.
/// </summary>
public sealed class DisplaySurface
{
    /// <summary>The largest side a mode may have (virtio-gpu's resources and VNC's u16 sizes both fit).</summary>
    public const int MaxSide = 16384;

    private readonly object _subscriptionLock = new();
    // Replaced whole on (un)subscribe, so that a publish on the device's hot path reads it without a copy.
    private volatile IDisplayListener[] _listeners = [];
    private uint[] _pixels;

    public DisplaySurface(int width, int height)
    {
        CheckSize(width, height);
        Width = width;
        Height = height;
        _pixels = new uint[width * height];
    }

    /// <summary>Held while pixels are written or copied.</summary>
    public object Lock { get; } = new();

    public int Width { get; private set; }

    public int Height { get; private set; }

    /// <summary>The pixels, Width * Height of them; only inside <see cref="Lock"/>.</summary>
    public Span<uint> Pixels => _pixels.AsSpan(0, Width * Height);

    /// <summary>The pointer's image, or null while the guest shows none.</summary>
    public DisplayCursor? Cursor { get; private set; }

    public int CursorX { get; private set; }

    public int CursorY { get; private set; }

    /// <summary>Changes the mode: the pixels are cleared to black and every listener is told. Call outside <see cref="Lock"/>.</summary>
    public void Resize(int width, int height)
    {
        CheckSize(width, height);
        lock (Lock)
        {
            if (width == Width && height == Height) return;
            if (_pixels.Length < width * height) _pixels = new uint[width * height];
            Width = width;
            Height = height;
            Pixels.Clear();
        }
        foreach (var listener in _listeners) listener.Resized(width, height);
    }

    /// <summary>After writing pixels: tells every listener that <paramref name="area"/> changed.</summary>
    public void Publish(ScreenRect area)
    {
        var clipped = area.ClipTo(Width, Height);
        if (clipped.IsEmpty) return;
        foreach (var listener in _listeners) listener.Damaged(clipped);
    }

    /// <summary>A new cursor image (null hides it) and position.</summary>
    public void SetCursor(DisplayCursor? cursor, int x, int y)
    {
        lock (Lock)
        {
            Cursor = cursor;
            CursorX = x;
            CursorY = y;
        }
        foreach (var listener in _listeners) listener.CursorChanged();
    }

    /// <summary>The same cursor at a new position.</summary>
    public void MoveCursor(int x, int y) => SetCursor(Cursor, x, y);

    /// <summary>Starts telling <paramref name="listener"/> of changes; disposing the result stops it.</summary>
    public IDisposable Subscribe(IDisplayListener listener)
    {
        lock (_subscriptionLock) _listeners = [.. _listeners, listener];
        return new Subscription(this, listener);
    }

    private static void CheckSize(int width, int height)
    {
        if (width is < 1 or > MaxSide || height is < 1 or > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(width), $"a display mode is 1 to {MaxSide} pixels a side, not {width}x{height}");
    }

    private sealed class Subscription(DisplaySurface surface, IDisplayListener listener) : IDisposable
    {
        public void Dispose()
        {
            lock (surface._subscriptionLock) surface._listeners = [.. surface._listeners.Where(l => l != listener)];
        }
    }
}
