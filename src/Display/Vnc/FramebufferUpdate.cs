using System.Buffers;
using System.Buffers.Binary;

namespace Glue.Display.Vnc;

/// <summary>What one FramebufferUpdate carries, as the client's thread took it from its pending state.</summary>
internal readonly record struct UpdateContent(ScreenRect Damage, bool Cursor, PixelFormat Format, int Encoding, bool DesktopSize, bool CursorShape);

/// <summary>
/// Builds one client's FramebufferUpdate messages (RFC 6143 §7.6.1) into buffers it keeps: the damaged rectangle's
/// pixels are copied out of the surface under its lock and encoded outside it, then sent by the caller in one write.
/// The size the client was last told is kept here, so a mode change becomes a DesktopSize rectangle (§7.8.2) and a
/// full frame.
/// </summary>
internal sealed class FramebufferUpdate : IDisposable
{
    private const int RectangleHeaderSize = 12;

    private readonly DisplaySurface _surface;
    private readonly ZrleEncoder _zrle = new();
    private uint[] _pixels = [];

    public FramebufferUpdate(DisplaySurface surface, int width, int height)
    {
        _surface = surface;
        ClientWidth = width;
        ClientHeight = height;
    }

    /// <summary>The framebuffer size the client knows.</summary>
    public int ClientWidth { get; private set; }

    public int ClientHeight { get; private set; }

    public OutputBuffer Message { get; } = new();

    /// <summary>Builds the message; false when there is nothing to send after all (the damage fell outside a resized screen).</summary>
    public bool Build(UpdateContent content)
    {
        Message.Clear();
        var header = Message.Extend(4);
        header[0] = Rfb.FramebufferUpdate;
        header[1] = 0;
        int rectangles = 0;

        ScreenRect area;
        DisplayCursor? cursor;
        int cursorHotX, cursorHotY;
        lock (_surface.Lock)
        {
            if ((_surface.Width != ClientWidth || _surface.Height != ClientHeight) && content.DesktopSize)
            {
                ClientWidth = _surface.Width;
                ClientHeight = _surface.Height;
                WriteRectangleHeader(new ScreenRect(0, 0, ClientWidth, ClientHeight), Rfb.EncodingDesktopSize);
                rectangles++;
                area = new ScreenRect(0, 0, ClientWidth, ClientHeight);
            }
            else area = content.Damage.ClipTo(Math.Min(ClientWidth, _surface.Width), Math.Min(ClientHeight, _surface.Height));
            if (!area.IsEmpty) CopyOut(area);
            cursor = _surface.Cursor;
            cursorHotX = cursor?.HotX ?? 0;
            cursorHotY = cursor?.HotY ?? 0;
        }

        if (!area.IsEmpty)
        {
            WriteRectangleHeader(area, content.Encoding);
            var pixels = _pixels.AsSpan(0, area.Width * area.Height);
            if (content.Encoding == Rfb.EncodingZrle) _zrle.Encode(pixels, area.Width, area.Height, content.Format, Message);
            else RawEncoder.Encode(pixels, content.Format, Message);
            rectangles++;
        }
        if (content.Cursor && content.CursorShape)
        {
            // A hidden cursor is an empty one (§7.8.1 allows width and height 0).
            var shape = cursor is null ? ScreenRect.Empty : new ScreenRect(cursorHotX, cursorHotY, cursor.Width, cursor.Height);
            WriteRectangleHeader(shape, Rfb.EncodingCursor);
            if (cursor is not null) CursorEncoder.Encode(cursor, content.Format, Message);
            rectangles++;
        }
        BinaryPrimitives.WriteUInt16BigEndian(Message.At(2, 2), (ushort)rectangles);
        return rectangles > 0;
    }

    /// <summary>Copies the area's rows into a buffer kept across updates (grown from the pool, never shrunk).</summary>
    private void CopyOut(ScreenRect area)
    {
        int count = area.Width * area.Height;
        if (_pixels.Length < count)
        {
            if (_pixels.Length > 0) ArrayPool<uint>.Shared.Return(_pixels);
            _pixels = ArrayPool<uint>.Shared.Rent(count);
        }
        var source = _surface.Pixels;
        int stride = _surface.Width;
        for (int y = 0; y < area.Height; y++)
            source.Slice((area.Y + y) * stride + area.X, area.Width).CopyTo(_pixels.AsSpan(y * area.Width, area.Width));
    }

    private void WriteRectangleHeader(ScreenRect area, int encoding)
    {
        var header = Message.Extend(RectangleHeaderSize);
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)area.X);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)area.Y);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)area.Width);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)area.Height);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], encoding);
    }

    public void Dispose()
    {
        _zrle.Dispose();
        Message.Dispose();
        if (_pixels.Length > 0) ArrayPool<uint>.Shared.Return(_pixels);
        _pixels = [];
    }
}
