namespace Glue.Display.Vnc;

/// <summary>
/// What one connection must pass during the RFB opening (<see cref="RfbHandshake"/>): the password, checked only when
/// its address is not waiting out the delay of earlier failures (<see cref="AuthenticationThrottle"/>), each failure
/// reported to <paramref name="log"/>; then a slot among the server's connections=N, taken only now, so that clients
/// still in the opening hold none.
/// </summary>
internal sealed class VncAdmission(VncAuthentication? authentication, AuthenticationThrottle throttle, string address, Func<bool> takeSlot, Action<string>? log)
{
    public bool NeedsPassword => authentication is not null;

    /// <summary>Null when <paramref name="response"/> answers the challenge; else the reason the client is told.</summary>
    public string? Authenticate(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response)
    {
        if (!throttle.TryBegin(address)) return "too many authentication failures: wait and try again";
        bool accepted = authentication!.Accepts(challenge, response);
        int failures = throttle.Record(address, accepted);
        if (accepted) return null;
        log?.Invoke($"vnc: wrong password from {address} ({failures} in a row; the next try is refused for {throttle.Delay(failures).TotalSeconds:0.#} s)");
        return "authentication failed";
    }

    /// <summary>Null when the client has a slot; else the reason it is refused.</summary>
    public string? Admit() => takeSlot() ? null : "too many connections";
}
