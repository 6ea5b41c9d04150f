using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Glue.Bench;

/// <summary>glue's control socket (docs/control-protocol.md) as the bench uses it: one request, its reply.</summary>
public static class GlueControl
{
    public const ushort ControlVersion = 1, PauseRequest = 2, ResumeRequest = 3, StopRequest = 4, SnapshotRequest = 6;

    /// <summary>One request on glue's control socket: an 8-byte header (version, type, payload length) and the payload, then the reply.</summary>
    public static void Send(string path, ushort request, string payload = "")
    {
        using var socket = KvmHost.ConnectAsync(path).GetAwaiter().GetResult();
        var body = Encoding.UTF8.GetBytes(payload);
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(header, ControlVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), request);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)body.Length);
        socket.Send([.. header, .. body]);
        ReceiveExactly(socket, header);
        ushort status = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));
        var reply = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4))];
        ReceiveExactly(socket, reply);
        if (status != 0) throw new BenchFailure($"control request {request}: status {status} ({Encoding.UTF8.GetString(reply)})");
    }

    private static void ReceiveExactly(Socket socket, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n == 0) throw new BenchFailure("the control socket closed before the reply");
            got += n;
        }
    }
}
