using System.Runtime.InteropServices;
using Glue.Virtio;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>
/// GET_CONFIG and SET_CONFIG (VHOST_USER_PROTOCOL_F_CONFIG): the device's config space through a 12-byte header
/// (offset, size, flags) and its data. Bytes beyond the device's config space read as 0 and drop writes, as on
/// the other transports.
/// </summary>
internal static class VhostUserConfigSpace
{
    public static VhostUserOutcome Get(IVirtioDevice device, VhostUserMessage message, Action<string> log)
    {
        VhostUserRequest.NoFds(message);
        var payload = message.Payload;
        if (!TryHeader(payload, out var header, out string? error))
        {
            // The spec's error answer to GET_CONFIG is a reply with an empty payload.
            log($"vhost-user: GET_CONFIG: {error}");
            return VhostUserOutcome.Answer([]);
        }
        var reply = new byte[payload.Length];
        payload.AsSpan(0, Marshal.SizeOf<ConfigHeaderMessage>()).CopyTo(reply);
        var data = reply.AsSpan(Marshal.SizeOf<ConfigHeaderMessage>());
        var (start, length) = Clamp(device, (int)header.Offset, data.Length);
        if (length > 0) device.ReadConfig(start, data.Slice(start - (int)header.Offset, length));
        return VhostUserOutcome.Answer(reply);
    }

    public static void Set(IVirtioDevice device, VhostUserMessage message)
    {
        VhostUserRequest.NoFds(message);
        if (!TryHeader(message.Payload, out var header, out string? error)) throw new VhostUserException($"SET_CONFIG: {error}");
        var data = message.Payload.AsSpan(Marshal.SizeOf<ConfigHeaderMessage>());
        var (start, length) = Clamp(device, (int)header.Offset, data.Length);
        if (length > 0) device.WriteConfig(start, data.Slice(start - (int)header.Offset, length));
    }

    private static bool TryHeader(byte[] payload, out ConfigHeaderMessage header, out string? error)
    {
        header = default;
        int fixedSize = Marshal.SizeOf<ConfigHeaderMessage>();
        if (payload.Length < fixedSize)
        {
            error = $"{payload.Length} bytes is less than the 12-byte config header";
            return false;
        }
        header = MemoryMarshal.Read<ConfigHeaderMessage>(payload);
        if (header.Size > MaxConfigSize || header.Offset > MaxConfigSize || payload.Length != fixedSize + header.Size)
        {
            error = $"offset {header.Offset} size {header.Size} in a {payload.Length}-byte payload";
            return false;
        }
        error = null;
        return true;
    }

    private static (int Start, int Length) Clamp(IVirtioDevice device, int offset, int length)
    {
        long start = Math.Max(0L, offset);
        long end = Math.Min((long)offset + length, device.ConfigSize);
        return end > start ? ((int)start, (int)(end - start)) : (0, 0);
    }
}
