namespace Glue.Display.Vnc;

/// <summary>
/// The Cursor pseudo-encoding (RFC 6143 §7.8.1): the pointer's image in the client's pixel format, then a bitmask,
/// a row of ceil(width / 8) bytes per row, most significant bit first, set where the pixel shows (alpha of half or more).
/// </summary>
internal static class CursorEncoder
{
    public static void Encode(DisplayCursor cursor, PixelFormat format, OutputBuffer output)
    {
        int size = format.BytesPerPixel, count = cursor.Width * cursor.Height;
        var pixels = output.Extend(count * size);
        for (int i = 0; i < count; i++) format.Put(pixels[(i * size)..], format.Convert(cursor.Pixels[i] & 0xffffff), size);

        int rowBytes = (cursor.Width + 7) / 8;
        var mask = output.Extend(rowBytes * cursor.Height);
        mask.Clear();
        for (int y = 0; y < cursor.Height; y++)
        {
            for (int x = 0; x < cursor.Width; x++)
            {
                if (cursor.Pixels[y * cursor.Width + x] >> 24 >= 0x80) mask[y * rowBytes + x / 8] |= (byte)(0x80 >> (x % 8));
            }
        }
    }
}
