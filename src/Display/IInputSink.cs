namespace Glue.Display;

/// <summary>The buttons of a pointer event, as RFB's PointerEvent button-mask numbers them (RFC 6143 §7.5.5).</summary>
[Flags]
public enum PointerButtons : byte
{
    None = 0,
    Left = 1,
    Middle = 2,
    Right = 4,
    WheelUp = 8,
    WheelDown = 16,
}

/// <summary>
/// Where a display client's input goes: a virtio-input keyboard takes keys, a tablet takes the pointer, each ignoring
/// the other. Called on the client's thread; an implementation queues and returns.
/// </summary>
public interface IInputSink
{
    /// <summary>A key went down or up; <paramref name="code"/> is a Linux KEY_* code (input-event-codes.h).</summary>
    void Key(ushort code, bool pressed);

    /// <summary>The pointer is at (<paramref name="x"/>, <paramref name="y"/>) on a screen of <paramref name="width"/> x <paramref name="height"/>, with these buttons down.</summary>
    void Pointer(int x, int y, int width, int height, PointerButtons buttons);
}
