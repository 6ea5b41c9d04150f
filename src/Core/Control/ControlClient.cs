using System.Net.Sockets;
using System.Text;
using Glue.Core.Machine;

namespace Glue.Core.Control;

/// <summary>What a VM said about itself.</summary>
public sealed record VmStatus(int Pid, string Name, VmState State);

/// <summary>Talks to one VM through its control socket.</summary>
public static class ControlClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Sends a request to the named VM; null when no live VM has that name (a stale socket is removed).</summary>
    public static (ControlStatus Status, VmStatus Vm)? Send(string name, ControlRequest request)
    {
        var reply = Request(name, (ushort)request, []);
        return reply is null ? null : (reply.Value.Status, ParseStatus(reply.Value.Payload));
    }

    /// <summary>
    /// Sends any request, a component's as well as a built-in one, and returns the reply as it came; null when no
    /// live VM has that name.
    /// </summary>
    public static ControlReply? Request(string name, ushort type, ReadOnlySpan<byte> payload)
    {
        string path = RuntimeDirectory.SocketPath(name);
        using var socket = Connect(path);
        if (socket is null) return null;
        ControlProtocol.Send(socket, type, payload);
        var reply = ControlProtocol.Receive(socket) ?? throw new IOException($"VM {name} closed its control socket without a reply");
        return new ControlReply((ControlStatus)reply.Type, reply.Payload);
    }

    /// <summary>Connects to a socket; removes it and returns null when nothing listens there any more.</summary>
    internal static Socket? Connect(string path)
    {
        if (!File.Exists(path)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)Timeout.TotalMilliseconds,
            SendTimeout = (int)Timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            // The VM that bound it is gone (killed): its socket file is stale.
            socket.Dispose();
            File.Delete(path);
            return null;
        }
    }

    internal static byte[] FormatStatus(VmStatus status) =>
        Encoding.UTF8.GetBytes($"{status.Pid} {status.State.ToString().ToLowerInvariant()} {status.Name}");

    private static VmStatus ParseStatus(byte[] payload)
    {
        var parts = Encoding.UTF8.GetString(payload).Split(' ', 3);
        if (parts.Length != 3 || !int.TryParse(parts[0], out int pid) || !Enum.TryParse<VmState>(parts[1], ignoreCase: true, out var state))
        {
            throw new IOException("malformed control reply");
        }
        return new VmStatus(pid, parts[2], state);
    }
}
