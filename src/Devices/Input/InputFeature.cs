using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Display;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Input.InputFeature))]

namespace Glue.Devices.Input;

/// <summary>
/// `--input`: a virtio keyboard and a virtio tablet (absolute pointer) fed by the VM's display clients through
/// <see cref="GuestDisplay"/>. Without a machine (`glue device`) they are fed by the process's display.
/// </summary>
public sealed class InputFeature : IVirtioDeviceFeature, IMachineSetup, IDisplayCompanionFeature
{
    public const string Option = "--input";
    private IReadOnlyList<InputDevice> _devices = [];
    private bool _setUp;

    public string Name => "input";

    public IReadOnlyList<DeviceOption> Options { get; } =
        [new(Option, "A virtio keyboard and tablet fed by the display's clients: `--input` (both), or keyboard or tablet alone")];

    public void Check(DeviceOptionValues values) => Wanted(values.Single(Option));

    public void Setup(IVmServices machine, DeviceOptionValues values)
    {
        _setUp = true;
        _devices = Make(() => GuestDisplay.Of(machine), values);
    }

    /// <summary>The devices Setup made, for `glue run`; without a machine, devices on the process's display.</summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values) => _setUp ? _devices : Make(() => GuestDisplay.OfProcess, values);

    /// <summary>Which devices --input asks for: both by default, one of them alone, or none.</summary>
    private static (bool Keyboard, bool Tablet) Wanted(string? value) => value switch
    {
        null or "off" => (false, false),
        "" or "on" => (true, true),
        "keyboard" => (true, false),
        "tablet" => (false, true),
        _ => throw new DeviceConfigException($"{Option} takes no value, on/off, keyboard or tablet, not '{value}'"),
    };

    /// <summary>The devices --input asks for, fed by <paramref name="displayOf"/>'s display; without --input no display is made.</summary>
    private static IReadOnlyList<InputDevice> Make(Func<GuestDisplay> displayOf, DeviceOptionValues values)
    {
        var (keyboard, tablet) = Wanted(values.Single(Option));
        if (!keyboard && !tablet) return [];
        var devices = new List<InputDevice>();
        if (keyboard) devices.Add(new KeyboardDevice());
        if (tablet) devices.Add(new TabletDevice());
        var display = displayOf();
        foreach (var device in devices) display.AddInput(device);
        return devices;
    }
}
