using System.Net.Sockets;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Devices.Vsock;

/// <summary>Host clients: Glue's listening socket, each client's `CONNECT P` line, and the `OK` greeting.</summary>
public sealed partial class VsockDevice
{
    private void Accept()
    {
        Socket client;
        try
        {
            client = _listener.Accept();
        }
        catch (SocketException)
        {
            return; // EAGAIN: another wakeup took it, or the client already gave up
        }
        client.Blocking = false;
        var connection = NewConnection(client, 0, 0, ConnectionState.AwaitingConnectLine);
        _clients.Add(connection);
        UpdateInterest(connection);
    }

    /// <summary>Peeks at the client's bytes for a whole `CONNECT P\n`, then takes exactly that line and sends REQUEST.</summary>
    private void ReadConnectLine(VsockConnection client)
    {
        int seen = client.Socket.Receive(_lineBuffer, SocketFlags.Peek, out var error);
        if (error == SocketError.WouldBlock) return;
        uint port = 0;
        int lineLength = 0;
        var result = error == SocketError.Success && seen > 0
            ? ConnectLine.Parse(_lineBuffer.AsSpan(0, seen), out port, out lineLength)
            : ConnectLine.Result.Invalid;
        if (result == ConnectLine.Result.Incomplete) return;
        _clients.Remove(client);
        if (result == ConnectLine.Result.Invalid)
        {
            CloseSocket(client);
            return;
        }
        client.Socket.Receive(_lineBuffer.AsSpan(0, lineLength), SocketFlags.None, out _);
        client.LocalPort = AllocateLocalPort(port);
        client.PeerPort = port;
        client.State = ConnectionState.Connecting;
        _connections.Add(client.Key, client);
        var request = Header(client, VIRTIO_VSOCK_OP_REQUEST);
        QueueControl(request);
        UpdateInterest(client);
        FlushControl();
    }

    private uint AllocateLocalPort(uint peerPort)
    {
        while (_connections.ContainsKey((_nextLocalPort, peerPort)))
            _nextLocalPort = _nextLocalPort == uint.MaxValue ? FirstLocalPort : _nextLocalPort + 1;
        uint port = _nextLocalPort;
        _nextLocalPort = _nextLocalPort == uint.MaxValue ? FirstLocalPort : _nextLocalPort + 1;
        return port;
    }

    /// <summary>`OK &lt;port&gt;\n` to a host client whose connection the guest accepted: a fresh socket takes it whole.</summary>
    private static bool SendGreeting(VsockConnection connection)
    {
        Span<byte> line = stackalloc byte[16];
        "OK "u8.CopyTo(line);
        connection.LocalPort.TryFormat(line[3..], out int digits);
        line[3 + digits] = (byte)'\n';
        int length = 4 + digits;
        return connection.Socket.Send(line[..length], SocketFlags.None, out var error) == length && error == SocketError.Success;
    }
}
