namespace Glue.Devices.Input;

/// <summary>The evdev codes the keyboard and tablet use, as in Linux's include/uapi/linux/input-event-codes.h and input.h.</summary>
public static class InputEventCodes
{
    // Event types.
    public const ushort EV_SYN = 0x00;
    public const ushort EV_KEY = 0x01;
    public const ushort EV_REL = 0x02;
    public const ushort EV_ABS = 0x03;
    public const ushort EV_LED = 0x11;
    public const ushort EV_REP = 0x14;

    public const ushort SYN_REPORT = 0;

    // Keys: KEY_ESC is the first; KEY_MICMUTE the last of the range a PC keyboard maps; KEY_MAX bounds every code.
    public const ushort KEY_ESC = 1;
    public const ushort KEY_A = 30;
    public const ushort KEY_MICMUTE = 248;
    public const ushort KEY_MAX = 0x2ff;

    public const ushort BTN_LEFT = 0x110;
    public const ushort BTN_RIGHT = 0x111;
    public const ushort BTN_MIDDLE = 0x112;

    public const ushort REL_WHEEL = 0x08;

    public const ushort ABS_X = 0x00;
    public const ushort ABS_Y = 0x01;

    public const ushort LED_NUML = 0x00;
    public const ushort LED_CAPSL = 0x01;
    public const ushort LED_SCROLLL = 0x02;

    public const ushort BUS_VIRTUAL = 0x06;   // input.h
}
