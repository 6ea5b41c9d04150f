namespace Glue.Core.Control;

/// <summary>What a component's handler answers: a status and a payload of at most <see cref="ControlProtocol.MaxPayload"/> bytes.</summary>
public readonly record struct ControlReply(ControlStatus Status, byte[] Payload);

/// <summary>Answers one request type; called on the control thread, so it must finish well within the client's timeout and report failures as a status, not throw.</summary>
public delegate ControlReply ControlHandler(ReadOnlySpan<byte> payload);

/// <summary>
/// The control requests a VM's components serve beyond the built-in ones (docs/control-protocol.md): a display
/// registers SCREENSHOT here, so the control server dispatches it without knowing what a display is.
/// </summary>
public sealed class ControlHandlers
{
    private readonly Dictionary<ushort, ControlHandler> _handlers = [];

    /// <summary>Serves <paramref name="type"/>; a built-in request or a type already served cannot be taken.</summary>
    public void Register(ushort type, ControlHandler handler)
    {
        if (Enum.IsDefined((ControlRequest)type)) throw new ArgumentException($"control request {type} is built in", nameof(type));
        lock (_handlers)
        {
            if (!_handlers.TryAdd(type, handler)) throw new ArgumentException($"control request {type} already has a handler", nameof(type));
        }
    }

    /// <summary>The handler's reply, or null when no component serves <paramref name="type"/>.</summary>
    public ControlReply? Handle(ushort type, ReadOnlySpan<byte> payload)
    {
        ControlHandler? handler;
        lock (_handlers)
        {
            if (!_handlers.TryGetValue(type, out handler)) return null;
        }
        return handler(payload);
    }
}
