namespace Glue.Transports.VhostUser;

/// <summary>What one request came to: nothing to say, a reply payload, or a refusal with its reason.</summary>
public readonly record struct VhostUserOutcome(byte[]? Reply, string? Error)
{
    public static readonly VhostUserOutcome Ok = default;
    public static VhostUserOutcome Answer(byte[] reply) => new(reply, null);
    public static VhostUserOutcome Fail(string reason) => new(null, reason);
}
