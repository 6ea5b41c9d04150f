using System.Net.Sockets;
using Glue.Virtio.Events;

namespace Glue.Devices.Vsock;

/// <summary>One stream between a guest port and a host Unix socket, and where it stands.</summary>
internal sealed class VsockConnection(Socket socket, uint localPort, uint peerPort, ConnectionState state, uint bufAlloc)
{
    public Socket Socket { get; } = socket;

    /// <summary>The host side's port (the port the guest connected to, or the one Glue picked for a host client).</summary>
    public uint LocalPort { get; set; } = localPort;

    /// <summary>The guest's port.</summary>
    public uint PeerPort { get; set; } = peerPort;

    public ConnectionState State { get; set; } = state;

    public Credit Credit = new(bufAlloc);

    /// <summary>Guest data the host socket has not taken yet; never more than our buf_alloc.</summary>
    public ByteRing Pending { get; } = new((int)bufAlloc);

    /// <summary>The epoll interest currently registered (none: not registered).</summary>
    public EventKinds Interest { get; set; }
    public EventRegistration? Registration { get; set; }

    /// <summary>The callback registered for the socket, made once.</summary>
    public Action? OnEvent { get; set; }

    /// <summary>The host closed its end (read returned 0): we sent or will send SHUTDOWN.</summary>
    public bool HostClosed { get; set; }

    /// <summary>Shutdown flags the guest sent (VIRTIO_VSOCK_SHUTDOWN_RCV/SEND).</summary>
    public uint PeerShutdown { get; set; }

    /// <summary>A CREDIT_UPDATE (or REQUEST) for this connection waits in the control queue.</summary>
    public bool CreditUpdateQueued { get; set; }
    public bool CreditRequestSent { get; set; }

    public (uint, uint) Key => (LocalPort, PeerPort);
}

internal enum ConnectionState
{
    /// <summary>A host client that has not finished its CONNECT line.</summary>
    AwaitingConnectLine,
    /// <summary>We sent REQUEST to the guest and wait for RESPONSE or RST.</summary>
    Connecting,
    Established,
}
