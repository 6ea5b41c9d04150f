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

    public void Setup(VirtualMachine machine, DeviceOptionValues values)
    {
        _setUp = true;
        _devices = Make(() => GuestDisplay.Of(machine), values);
    }

    /// <summary>The devices Setup made, for `glue run`; without a machine, devices on the process's display.</summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values) => _setUp ? _devices : Make(() => GuestDisplay.OfProcess, values);

    /// <summary>Both by default, or one of them alone.</summary>
    private static InputDevice[]? Devices(string value) => value switch
    {
        "" or "on" => [new KeyboardDevice(), new TabletDevice()],
        "keyboard" => [new KeyboardDevice()],
        "tablet" => [new TabletDevice()],
        _ => null,
    };

    /// <summary>The devices --input asks for, fed by <paramref name="displayOf"/>'s display; without --input no display is made.</summary>
    private static IReadOnlyList<InputDevice> Make(Func<GuestDisplay> displayOf, DeviceOptionValues values)
    {
        switch (values.Single(Option))
        {
            case null or "off":
                return [];
            case var value when Devices(value) is { } devices:
                var display = displayOf();
                foreach (var device in devices) display.AddInput(device);
                return devices;
            case var other:
                throw new DeviceConfigException($"{Option} takes no value, on/off, keyboard or tablet, not '{other}'");
        }
    }
}
