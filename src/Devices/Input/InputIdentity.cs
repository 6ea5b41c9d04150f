using static Glue.Devices.Input.InputEventCodes;

namespace Glue.Devices.Input;

/// <summary>
/// What an input device says of itself through its config space (§5.8.5): its name and serial, its ids, its
/// properties, the event codes it can send by type, and the range of each absolute axis.
/// </summary>
public sealed record InputIdentity(
    string Name,
    string Serial,
    VirtioInputDevIds Ids,
    IReadOnlyList<ushort> Properties,
    IReadOnlyDictionary<ushort, ushort[]> Events,
    IReadOnlyDictionary<ushort, VirtioInputAbsInfo> Axes)
{
    /// <summary>The tablet's axes run 0..32767 whatever the screen size, as QEMU's and USB tablets do.</summary>
    public const uint AbsoluteMax = 32767;

    /// <summary>A PC keyboard: every key code from KEY_ESC to KEY_MICMUTE, the three lock LEDs, and auto-repeat done by the guest.</summary>
    public static InputIdentity Keyboard { get; } = new(
        "Glue Virtio Keyboard", "glue-keyboard", new VirtioInputDevIds(BUS_VIRTUAL, 0, 1, 1), [],
        new Dictionary<ushort, ushort[]>
        {
            [EV_KEY] = [.. Enumerable.Range(KEY_ESC, KEY_MICMUTE - KEY_ESC + 1).Select(code => (ushort)code)],
            [EV_LED] = [LED_NUML, LED_CAPSL, LED_SCROLLL],
            [EV_REP] = [],
        },
        new Dictionary<ushort, VirtioInputAbsInfo>());

    /// <summary>An absolute pointer: X and Y, three buttons and a wheel.</summary>
    public static InputIdentity Tablet { get; } = new(
        "Glue Virtio Tablet", "glue-tablet", new VirtioInputDevIds(BUS_VIRTUAL, 0, 2, 1), [],
        new Dictionary<ushort, ushort[]>
        {
            [EV_KEY] = [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE],
            [EV_REL] = [REL_WHEEL],
            [EV_ABS] = [ABS_X, ABS_Y],
        },
        new Dictionary<ushort, VirtioInputAbsInfo>
        {
            [ABS_X] = new(0, AbsoluteMax, 0, 0, 0),
            [ABS_Y] = new(0, AbsoluteMax, 0, 0, 0),
        });
}
