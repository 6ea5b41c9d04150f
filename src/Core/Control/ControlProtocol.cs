using System.Buffers.Binary;
using System.Net.Sockets;

namespace Glue.Core.Control;

/// <summary>Requests a client sends to a VM's control socket.</summary>
public enum ControlRequest : ushort
{
    Status = 1,
    Pause = 2,
    Resume = 3,
    Stop = 4,
}

/// <summary>How a VM answered a request.</summary>
public enum ControlStatus : ushort
{
    Ok = 0,
    AlreadyPaused = 1,
    NotPaused = 2,
    BadRequest = 3,
    BadVersion = 4,

    /// <summary>A component's request whose argument cannot be used (a screenshot path); the payload says why.</summary>
    Refused = 5,

    /// <summary>The request was good but the VM could not carry it out (a snapshot that could not be written); the payload says why.</summary>
    Failed = 6,
}

/// <summary>
/// The control socket's wire format (docs/control-protocol.md): every message is an 8-byte little-endian
/// header, u16 version, u16 type (a request, or in a reply a status), u32 payload length, then the payload.
/// A reply's payload is "PID STATE NAME" in UTF-8.
/// </summary>
public static class ControlProtocol
{
    public const ushort Version = 1;
    public const int HeaderSize = 8;
    public const int MaxPayload = 4096;

    public static void Send(Socket socket, ushort type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload) throw new ArgumentException("control payload too large");
        Span<byte> message = stackalloc byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(message, Version);
        BinaryPrimitives.WriteUInt16LittleEndian(message[2..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(message[4..], (uint)payload.Length);
        payload.CopyTo(message[HeaderSize..]);
        socket.Send(message);
    }

    /// <summary>Reads one message; null when the peer closed, sent a short header, or a payload over the limit.</summary>
    public static (ushort Version, ushort Type, byte[] Payload)? Receive(Socket socket)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (!ReceiveExactly(socket, header)) return null;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > MaxPayload) return null;
        var payload = new byte[length];
        return ReceiveExactly(socket, payload) ? (version, type, payload) : null;
    }

    private static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int read = socket.Receive(buffer);
            if (read == 0) return false;
            buffer = buffer[read..];
        }
        return true;
    }
}
