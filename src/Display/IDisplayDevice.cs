namespace Glue.Display;

/// <summary>
/// A device whose picture is a <see cref="DisplaySurface"/> (virtio-gpu): what `glue device` mirrors to a
/// vhost-user-gpu frontend without knowing which device it serves.
/// </summary>
public interface IDisplayDevice
{
    DisplaySurface Surface { get; }
}
