namespace Glue.Display;

/// <summary>
/// The pointer's image as the guest uploaded it: <paramref name="Pixels"/> are <paramref name="Width"/> x
/// <paramref name="Height"/> 32-bit 0xAARRGGBB (B8G8R8A8 in memory), drawn with its hot spot at the position.
/// </summary>
public sealed record DisplayCursor(uint[] Pixels, int Width, int Height, int HotX, int HotY);
