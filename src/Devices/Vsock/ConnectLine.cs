namespace Glue.Devices.Vsock;

/// <summary>
/// The first line a host client writes on Glue's vsock socket: `CONNECT <port>\n` (Firecracker's protocol),
/// port decimal, at most <see cref="MaxLength"/> bytes with the newline.
/// </summary>
public static class ConnectLine
{
    public const int MaxLength = 32;

    public enum Result { Incomplete, Valid, Invalid }

    /// <summary>Looks at what the client has sent so far; <paramref name="lineLength"/> is the line's length with its newline.</summary>
    public static Result Parse(ReadOnlySpan<byte> received, out uint port, out int lineLength)
    {
        port = 0;
        lineLength = 0;
        int newline = received.IndexOf((byte)'\n');
        if (newline < 0) return received.Length >= MaxLength ? Result.Invalid : Result.Incomplete;
        if (newline + 1 > MaxLength) return Result.Invalid;
        lineLength = newline + 1;
        var line = received[..newline];
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        ReadOnlySpan<byte> prefix = "CONNECT "u8;
        if (!line.StartsWith(prefix)) return Result.Invalid;
        var digits = line[prefix.Length..];
        if (digits.IsEmpty || digits.Length > 10) return Result.Invalid;
        ulong value = 0;
        foreach (byte b in digits)
        {
            if (b < '0' || b > '9') return Result.Invalid;
            value = value * 10 + (uint)(b - '0');
        }
        if (value > uint.MaxValue) return Result.Invalid;
        port = (uint)value;
        return Result.Valid;
    }
}
