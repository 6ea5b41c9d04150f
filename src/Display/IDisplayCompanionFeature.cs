namespace Glue.Display;

/// <summary>
/// A feature whose devices are fed by a display's clients (virtio-input). `glue device` serves them beside an
/// <see cref="IDisplayFeature"/>'s device in one process, so that keys sent to that display reach them.
/// </summary>
public interface IDisplayCompanionFeature;
