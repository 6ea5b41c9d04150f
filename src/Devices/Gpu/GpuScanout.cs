using Glue.Display;

namespace Glue.Devices.Gpu;

/// <summary>
/// Scanout 0 and the cursor as the host shows them: which resource, and which rectangle of it, the display
/// shows (SET_SCANOUT), and the copy of flushed pixels into the <see cref="DisplaySurface"/>. Pixels are written
/// under the surface's lock and published after it, as its contract asks; the copy converts straight from the
/// resource into the surface, allocating nothing.
/// </summary>
internal sealed class GpuScanout(DisplaySurface surface)
{
    /// <summary>The largest cursor image taken (Linux uses 64 x 64): it is copied once per shape change.</summary>
    public const uint MaxCursorSide = 256;

    private GpuResource? _resource;
    private VirtioGpuRect _area;   // the part of _resource the display shows, its top left at the screen's

    public DisplaySurface Surface { get; } = surface;

    public GpuResource? Resource => _resource;

    /// <summary>The part of <see cref="Resource"/> the display shows.</summary>
    public VirtioGpuRect Area => _area;

    /// <summary>Shows <paramref name="area"/> of <paramref name="resource"/>, changing the mode to its size if needed.</summary>
    public void Show(GpuResource resource, in VirtioGpuRect area)
    {
        Surface.Resize((int)area.Width, (int)area.Height);
        _resource = resource;
        _area = area;
        Copy(area);
        Surface.Publish(new ScreenRect(0, 0, (int)area.Width, (int)area.Height));
    }

    /// <summary>SET_SCANOUT with resource 0, or the shown resource's UNREF: the display goes black.</summary>
    public void Disable()
    {
        if (_resource is null) return;
        _resource = null;
        lock (Surface.Lock) Surface.Pixels.Clear();
        Surface.Publish(new ScreenRect(0, 0, Surface.Width, Surface.Height));
    }

    /// <summary>RESOURCE_FLUSH: the part of <paramref name="r"/> (resource coordinates) that the display shows is copied and published.</summary>
    public void Flush(GpuResource resource, in VirtioGpuRect r)
    {
        if (resource != _resource) return;
        var shown = Intersect(r, _area);
        if (shown.Width == 0 || shown.Height == 0) return;
        Copy(shown);
        Surface.Publish(new ScreenRect((int)(shown.X - _area.X), (int)(shown.Y - _area.Y), (int)shown.Width, (int)shown.Height));
    }

    /// <summary>Copies <paramref name="r"/> (inside both the resource and the shown area) into the surface.</summary>
    private void Copy(in VirtioGpuRect r)
    {
        var resource = _resource!;
        lock (Surface.Lock)
        {
            // A mode the surface was not resized to (another writer) would make rows land wrong: never the case, but checked.
            if (Surface.Width != _area.Width || Surface.Height != _area.Height) return;
            var pixels = Surface.Pixels;
            for (uint row = 0; row < r.Height; row++)
            {
                var source = resource.Pixels.AsSpan((int)((r.Y + row) * (ulong)resource.Width + r.X), (int)r.Width);
                var destination = pixels.Slice((int)((r.Y + row - _area.Y) * (ulong)Surface.Width + (r.X - _area.X)), (int)r.Width);
                GpuPixelFormat.ToDisplay(resource.Format, source, destination);
            }
        }
    }

    /// <summary>UPDATE_CURSOR: the resource's pixels become the pointer's image (null hides it).</summary>
    public void SetCursor(GpuResource? resource, uint hotX, uint hotY, int x, int y)
    {
        if (resource is null)
        {
            Surface.SetCursor(null, x, y);
            return;
        }
        var image = new uint[resource.Pixels.Length];
        GpuPixelFormat.ToCursor(resource.Format, resource.Pixels, image);
        int width = (int)resource.Width, height = (int)resource.Height;
        var cursor = new DisplayCursor(image, width, height, (int)Math.Min(hotX, resource.Width - 1), (int)Math.Min(hotY, resource.Height - 1));
        Surface.SetCursor(cursor, x, y);
    }

    public void MoveCursor(int x, int y) => Surface.MoveCursor(x, y);

    private static VirtioGpuRect Intersect(in VirtioGpuRect a, in VirtioGpuRect b)
    {
        ulong x = Math.Max(a.X, b.X), y = Math.Max(a.Y, b.Y);
        ulong right = Math.Min((ulong)a.X + a.Width, (ulong)b.X + b.Width), bottom = Math.Min((ulong)a.Y + a.Height, (ulong)b.Y + b.Height);
        return right > x && bottom > y ? new VirtioGpuRect { X = (uint)x, Y = (uint)y, Width = (uint)(right - x), Height = (uint)(bottom - y) } : default;
    }
}
