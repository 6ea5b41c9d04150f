namespace Glue.Display.Vnc;

/// <summary>The Raw encoding (RFC 6143 §7.7.1): every pixel of the rectangle, left to right, top to bottom, in the client's format.</summary>
internal static class RawEncoder
{
    public static void Encode(ReadOnlySpan<uint> pixels, PixelFormat format, OutputBuffer output)
    {
        int size = format.BytesPerPixel;
        var destination = output.Extend(pixels.Length * size);
        for (int i = 0; i < pixels.Length; i++) format.Put(destination[(i * size)..], format.Convert(pixels[i]), size);
    }
}
