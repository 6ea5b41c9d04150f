namespace Glue.Display.Vnc;

/// <summary>
/// An RFB KeyEvent's X keysym (RFC 6143 §7.5.4, X11 keysymdef.h) to the Linux key code (input-event-codes.h) of the
/// key that types it on a US keyboard. A shifted symbol maps to its unshifted key ('A' and 'a' to KEY_A, '!' to
/// KEY_1): the client sends Shift itself, so the guest sees the same keys a person pressed.
/// </summary>
public static class KeysymMap
{
    /// <summary>The Linux key code, or 0 (KEY_RESERVED) for a keysym with no key here.</summary>
    public static ushort ToLinuxKey(uint keysym) => (ushort)Code(keysym);

    private static int Code(uint keysym) => keysym switch
    {
        >= 'a' and <= 'z' => Letter((char)keysym),
        >= 'A' and <= 'Z' => Letter((char)(keysym + ('a' - 'A'))),
        >= '1' and <= '9' => (int)(KEY_1 + keysym - '1'),
        '0' or ')' => KEY_0,
        '!' => KEY_1,
        '@' => KEY_1 + 1,
        '#' => KEY_1 + 2,
        '$' => KEY_1 + 3,
        '%' => KEY_1 + 4,
        '^' => KEY_1 + 5,
        '&' => KEY_1 + 6,
        '*' => KEY_1 + 7,
        '(' => KEY_1 + 8,
        '-' or '_' => 12, // KEY_MINUS
        '=' or '+' => 13, // KEY_EQUAL
        '[' or '{' => 26, // KEY_LEFTBRACE
        ']' or '}' => 27, // KEY_RIGHTBRACE
        ';' or ':' => 39, // KEY_SEMICOLON
        '\'' or '"' => 40, // KEY_APOSTROPHE
        '`' or '~' => 41, // KEY_GRAVE
        '\\' or '|' => 43, // KEY_BACKSLASH
        ',' or '<' => 51, // KEY_COMMA
        '.' or '>' => 52, // KEY_DOT
        '/' or '?' => 53, // KEY_SLASH
        ' ' => 57, // KEY_SPACE
        0xff1b => 1, // XK_Escape: KEY_ESC
        0xff08 => 14, // XK_BackSpace: KEY_BACKSPACE
        0xff09 or 0xfe20 => 15, // XK_Tab, XK_ISO_Left_Tab: KEY_TAB
        0xff0d => 28, // XK_Return: KEY_ENTER
        0xffe3 => 29, // XK_Control_L: KEY_LEFTCTRL
        0xffe1 => 42, // XK_Shift_L: KEY_LEFTSHIFT
        0xffe2 => 54, // XK_Shift_R: KEY_RIGHTSHIFT
        0xffe9 => 56, // XK_Alt_L: KEY_LEFTALT
        0xffe5 => 58, // XK_Caps_Lock: KEY_CAPSLOCK
        >= 0xffbe and <= 0xffc7 => (int)(59 + keysym - 0xffbe), // XK_F1..XK_F10: KEY_F1..KEY_F10
        0xffc8 => 87, // XK_F11: KEY_F11
        0xffc9 => 88, // XK_F12: KEY_F12
        0xff7f => 69, // XK_Num_Lock: KEY_NUMLOCK
        0xff14 => 70, // XK_Scroll_Lock: KEY_SCROLLLOCK
        0xffb7 or 0xff95 => 71, // XK_KP_7, XK_KP_Home: KEY_KP7
        0xffb8 or 0xff97 => 72, // XK_KP_8, XK_KP_Up: KEY_KP8
        0xffb9 or 0xff9a => 73, // XK_KP_9, XK_KP_Prior: KEY_KP9
        0xffad => 74, // XK_KP_Subtract: KEY_KPMINUS
        0xffb4 or 0xff96 => 75, // XK_KP_4, XK_KP_Left: KEY_KP4
        0xffb5 or 0xff9d => 76, // XK_KP_5, XK_KP_Begin: KEY_KP5
        0xffb6 or 0xff98 => 77, // XK_KP_6, XK_KP_Right: KEY_KP6
        0xffab => 78, // XK_KP_Add: KEY_KPPLUS
        0xffb1 or 0xff9c => 79, // XK_KP_1, XK_KP_End: KEY_KP1
        0xffb2 or 0xff99 => 80, // XK_KP_2, XK_KP_Down: KEY_KP2
        0xffb3 or 0xff9b => 81, // XK_KP_3, XK_KP_Next: KEY_KP3
        0xffb0 or 0xff9e => 82, // XK_KP_0, XK_KP_Insert: KEY_KP0
        0xffae or 0xff9f => 83, // XK_KP_Decimal, XK_KP_Delete: KEY_KPDOT
        0xffaa => 55, // XK_KP_Multiply: KEY_KPASTERISK
        0xff8d => 96, // XK_KP_Enter: KEY_KPENTER
        0xffe4 => 97, // XK_Control_R: KEY_RIGHTCTRL
        0xffaf => 98, // XK_KP_Divide: KEY_KPSLASH
        0xff61 or 0xff15 => 99, // XK_Print, XK_Sys_Req: KEY_SYSRQ
        0xffea or 0xfe03 => 100, // XK_Alt_R, XK_ISO_Level3_Shift (AltGr): KEY_RIGHTALT
        0xff50 => 102, // XK_Home: KEY_HOME
        0xff52 => 103, // XK_Up: KEY_UP
        0xff55 => 104, // XK_Prior: KEY_PAGEUP
        0xff51 => 105, // XK_Left: KEY_LEFT
        0xff53 => 106, // XK_Right: KEY_RIGHT
        0xff57 => 107, // XK_End: KEY_END
        0xff54 => 108, // XK_Down: KEY_DOWN
        0xff56 => 109, // XK_Next: KEY_PAGEDOWN
        0xff63 => 110, // XK_Insert: KEY_INSERT
        0xffff => 111, // XK_Delete: KEY_DELETE
        0xff13 => 119, // XK_Pause: KEY_PAUSE
        0xffe7 or 0xffeb => 125, // XK_Meta_L, XK_Super_L: KEY_LEFTMETA
        0xffe8 or 0xffec => 126, // XK_Meta_R, XK_Super_R: KEY_RIGHTMETA
        0xff67 => 127, // XK_Menu: KEY_COMPOSE (the context-menu key)
        _ => 0,
    };

    private const int KEY_1 = 2;
    private const int KEY_0 = 11;

    // input-event-codes.h numbers the letters by their place on the keyboard, row by row.
    private static int Letter(char letter) => letter switch
    {
        'q' => 16, 'w' => 17, 'e' => 18, 'r' => 19, 't' => 20, 'y' => 21, 'u' => 22, 'i' => 23, 'o' => 24, 'p' => 25,
        'a' => 30, 's' => 31, 'd' => 32, 'f' => 33, 'g' => 34, 'h' => 35, 'j' => 36, 'k' => 37, 'l' => 38,
        'z' => 44, 'x' => 45, 'c' => 46, 'v' => 47, 'b' => 48, 'n' => 49, _ => 50, // 'm'
    };
}
