using Glue.Display;
using static Glue.Devices.Input.InputEventCodes;

namespace Glue.Devices.Input;

/// <summary>
/// The virtio tablet, an absolute pointer: a position on a screen of any size becomes ABS_X and ABS_Y in
/// 0..<see cref="InputIdentity.AbsoluteMax"/>, a button that changed becomes its BTN_* key, and a wheel button
/// going down one REL_WHEEL step (RFB sends a wheel step as a press and a release of button 4 or 5).
/// </summary>
public sealed class TabletDevice() : InputDevice(InputIdentity.Tablet)
{
    private const int MaxReport = 7;   // two axes, three buttons, the wheel, EV_SYN
    private readonly object _gate = new();
    private PointerButtons _buttons;

    /// <summary>The keyboard's business.</summary>
    public override void Key(ushort code, bool pressed)
    {
    }

    public override void Pointer(int x, int y, int width, int height, PointerButtons buttons)
    {
        Span<VirtioInputEvent> report = stackalloc VirtioInputEvent[MaxReport];
        int n = 0;
        report[n++] = new VirtioInputEvent(EV_ABS, ABS_X, Scale(x, width));
        report[n++] = new VirtioInputEvent(EV_ABS, ABS_Y, Scale(y, height));
        lock (_gate)
        {
            var changed = buttons ^ _buttons;
            var pressed = changed & buttons;
            _buttons = buttons;
            if (changed.HasFlag(PointerButtons.Left)) report[n++] = Button(BTN_LEFT, buttons, PointerButtons.Left);
            if (changed.HasFlag(PointerButtons.Right)) report[n++] = Button(BTN_RIGHT, buttons, PointerButtons.Right);
            if (changed.HasFlag(PointerButtons.Middle)) report[n++] = Button(BTN_MIDDLE, buttons, PointerButtons.Middle);
            if (pressed.HasFlag(PointerButtons.WheelUp)) report[n++] = new VirtioInputEvent(EV_REL, REL_WHEEL, 1);
            else if (pressed.HasFlag(PointerButtons.WheelDown)) report[n++] = new VirtioInputEvent(EV_REL, REL_WHEEL, unchecked((uint)-1));
            report[n++] = new VirtioInputEvent(EV_SYN, SYN_REPORT, 0);
            // Under the lock, so that two clients' reports reach the ring in the order their buttons were compared.
            Send(report[..n]);
        }
    }

    private static VirtioInputEvent Button(ushort code, PointerButtons buttons, PointerButtons button) =>
        new(EV_KEY, code, buttons.HasFlag(button) ? 1u : 0u);

    /// <summary>0..size-1 onto 0..AbsoluteMax, clamped (a client may send a position off a screen that just shrank).</summary>
    private static uint Scale(int position, int size) =>
        size <= 1 ? 0 : (uint)((long)Math.Clamp(position, 0, size - 1) * InputIdentity.AbsoluteMax / (size - 1));
}
