using Glue.Display;
using static Glue.Devices.Input.InputEventCodes;

namespace Glue.Devices.Input;

/// <summary>The virtio keyboard: each key a display client presses or releases is EV_KEY then EV_SYN.</summary>
public sealed class KeyboardDevice() : InputDevice(InputIdentity.Keyboard)
{
    public override void Key(ushort code, bool pressed)
    {
        if (code is 0 or > KEY_MAX) return;
        Send([new VirtioInputEvent(EV_KEY, code, pressed ? 1u : 0u), new VirtioInputEvent(EV_SYN, SYN_REPORT, 0)]);
    }

    /// <summary>The pointer belongs to the tablet.</summary>
    public override void Pointer(int x, int y, int width, int height, PointerButtons buttons)
    {
    }
}
