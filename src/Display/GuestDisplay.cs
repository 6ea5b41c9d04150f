using Glue.Core.Machine;

namespace Glue.Display;

/// <summary>
/// One VM's screen and the input devices behind it: where the display device (virtio-gpu), the input devices
/// (virtio-input) and the display servers (VNC, screenshots) of a VM meet without knowing of each other. Each VM
/// has one (<see cref="Of"/>), as each `glue device` process has one (<see cref="OfProcess"/>).
/// </summary>
public sealed class GuestDisplay
{
    public const int DefaultWidth = 1280;
    public const int DefaultHeight = 800;

    // Replaced whole when a device is added, so each key and pointer event reads it without a lock or a copy.
    private volatile IInputSink[] _inputs = [];
    private readonly object _adding = new();

    public DisplaySurface Surface { get; } = new(DefaultWidth, DefaultHeight);

    private static GuestDisplay? _ofProcess;

    /// <summary>
    /// The display of a process without a machine (`glue device`): the devices it serves share it. Made on first
    /// use, so that a `glue run` (whose displays are its machine's) never allocates its surface.
    /// </summary>
    public static GuestDisplay OfProcess => LazyInitializer.EnsureInitialized(ref _ofProcess, () => new GuestDisplay());

    /// <summary>The display of <paramref name="machine"/>, made on first use: the devices of one VM come from separate features, and each asks the VM for it.</summary>
    public static GuestDisplay Of(IVmServices machine) => machine.Shared<GuestDisplay>();

    /// <summary>From now on the VM answers SCREENSHOT with this display's picture: called by the device that draws it.</summary>
    public void ServeScreenshots(IVmServices machine) =>
        machine.ControlHandlers.Register(ScreenshotRequest.Type, payload => ScreenshotRequest.Handle(Surface, payload));

    /// <summary>An input device that display clients' keys and pointer reach.</summary>
    public void AddInput(IInputSink sink)
    {
        lock (_adding) _inputs = [.. _inputs, sink];
    }

    public void Key(ushort code, bool pressed)
    {
        foreach (var sink in _inputs) sink.Key(code, pressed);
    }

    public void Pointer(int x, int y, PointerButtons buttons)
    {
        int width = Surface.Width, height = Surface.Height;
        foreach (var sink in _inputs) sink.Pointer(x, y, width, height, buttons);
    }
}
