namespace Glue.Display;

/// <summary>A feature whose device shows a display (virtio-gpu): its `glue device` command also takes the options of every <see cref="IDisplayCompanionFeature"/>.</summary>
public interface IDisplayFeature;
