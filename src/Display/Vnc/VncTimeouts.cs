namespace Glue.Display.Vnc;

/// <summary>
/// The VNC server's clocks: the whole RFB opening's deadline, how long a client may leave an update unread before
/// it is dropped, and the first delay after a wrong password (<see cref="AuthenticationThrottle"/>). Tests shorten them.
/// </summary>
internal sealed record VncTimeouts(TimeSpan Handshake, TimeSpan Send, TimeSpan FailureDelay)
{
    public static readonly VncTimeouts Default = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15), AuthenticationThrottle.DefaultBase);
}
