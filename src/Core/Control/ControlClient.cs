using System.Net.Sockets;
using System.Text;
using Glue.Core.Interop;
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
    /// <param name="timeout">How long the reply may take, when longer than the usual 5 s (a snapshot writing guest RAM).</param>
    public static ControlReply? Request(string name, ushort type, ReadOnlySpan<byte> payload, TimeSpan? timeout = null)
    {
        string path = RuntimeDirectory.SocketPath(name);
        using var socket = Connect(path);
        if (socket is null) return null;
        if (timeout is { } longer) socket.ReceiveTimeout = (int)longer.TotalMilliseconds;
        ControlProtocol.Send(socket, type, payload);
        var reply = ControlProtocol.Receive(socket) ?? throw new IOException($"VM {name} closed its control socket without a reply");
        return new ControlReply((ControlStatus)reply.Type, reply.Payload);
    }

    /// <summary>
    /// Connects to a VM's socket; null when no VM listens there. Only a file that is provably a dead Glue socket
    /// is removed: a Unix socket of this user that refuses connections (its VM was killed). Anything else
    /// (a regular file named *.sock, another user's socket) is left alone and reported as no VM.
    /// </summary>
    internal static Socket? Connect(string path)
    {
        if (FileStatus.OfLink(path, out var before) != 0 || before.Kind != FileKind.Socket) return null;
        if (System.Text.Encoding.UTF8.GetByteCount(path) > UnixSocketPath.MaxBytes) return null;
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
            socket.Dispose();
            // Still the same socket file, ours: the VM that bound it is gone and nothing can reach it again.
            if (before.Owner == Libc.GetEuid() && FileStatus.OfLink(path, out var now) == 0 && now.Inode == before.Inode && now.Device == before.Device)
                File.Delete(path);
            return null;
        }
        catch
        {
            socket.Dispose();
            throw; // a live VM that cannot be reached now (a timeout): the caller says so, it is not "no VM"
        }
    }

    internal static byte[] FormatStatus(VmStatus status) =>
        Encoding.UTF8.GetBytes($"{status.Pid} {status.State.ToString().ToLowerInvariant()} {status.Name}");

    internal static VmStatus ParseStatus(byte[] payload)
    {
        var parts = Encoding.UTF8.GetString(payload).Split(' ', 3);
        if (parts.Length != 3 || !int.TryParse(parts[0], out int pid) || !Enum.TryParse<VmState>(parts[1], ignoreCase: true, out var state))
        {
            throw new IOException("malformed control reply");
        }
        return new VmStatus(pid, parts[2], state);
    }
}
