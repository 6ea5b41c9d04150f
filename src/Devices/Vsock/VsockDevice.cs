using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Core.Pci;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Devices.Vsock;

/// <summary>
/// virtio-vsock (virtio 1.2 §5.10), stream sockets only, with Firecracker's host side: a guest connect to CID 2
/// port P is a connect to the Unix socket <c>uds_P</c>; a host client of the Unix socket <c>uds</c> writes
/// <c>CONNECT P\n</c>, the guest gets REQUEST for port P, and on RESPONSE the client reads <c>OK &lt;port&gt;\n</c>.
///
/// Everything runs on the device's I/O thread: the listener and every connection's socket are registered on
/// it, non-blocking. Data goes straight between sockets and guest buffers; guest data the host socket cannot
/// take yet waits in the connection's ring, which is what we advertise as buf_alloc (<see cref="Credit"/>).
/// A socket is watched for reading only while the guest has credit for more and the receive queue has
/// buffers, so a slow side stops the other instead of growing memory.
///
/// The device is one class over four files: this one (configuration, lifecycle, bookkeeping), the guest-to-host
/// path (VsockDevice.GuestToHost.cs), the host-to-guest path (VsockDevice.HostToGuest.cs) and the host clients
/// of the listening socket (VsockDevice.HostClients.cs).
/// </summary>
public sealed partial class VsockDevice : IVirtioDevice, IDisposable
{
    public const int RxQueue = 0;
    public const int TxQueue = 1;
    public const int EventQueue = 2;
    public const uint ConnectionBuffer = 256 * 1024;
    private const int MaxControlPackets = 1024;
    private const int MaxReadsPerEvent = 16;
    private const uint FirstLocalPort = 1u << 30;

    private readonly ulong _guestCid;
    private readonly string _udsPath;
    private readonly Socket _listener;
    private readonly IDisposable? _cidLock;
    private readonly Dictionary<(uint Local, uint Peer), VsockConnection> _connections = [];
    private readonly List<VsockConnection> _clients = [];     // host clients still sending their CONNECT line
    private readonly Queue<VsockHeader> _control = new(64);   // RESPONSE, RST, SHUTDOWN, REQUEST, CREDIT_*
    private readonly byte[] _lineBuffer = new byte[ConnectLine.MaxLength];
    private VirtioActivation? _activation;
    private EventRegistration? _listenerRegistration;
    private bool _rxStalled;
    private uint _nextLocalPort = FirstLocalPort;
    private bool _disposed;

    /// <param name="listener">Bound and listening on <paramref name="udsPath"/>; the device owns it and removes the file.</param>
    /// <param name="cidLock">Held while the device lives: no other VM on this host can take the CID.</param>
    public VsockDevice(ulong guestCid, string udsPath, Socket listener, IDisposable? cidLock)
    {
        _guestCid = guestCid;
        _udsPath = udsPath;
        _listener = listener;
        _cidLock = cidLock;
        _listener.Blocking = false;
    }

    public uint DeviceId => VirtioIds.VIRTIO_ID_VSOCK;
    public string Name => "vsock";

    public uint PciClass => PciClassCodes.PCI_CLASS_OTHERS;
    public ulong Features => 0; // no feature bits: stream sockets only (§5.10.3)
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [256, 256, 256];
    public int ConfigSize => 8;  // le64 guest_cid
    public ulong GuestCid => _guestCid;

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(config, _guestCid);
        config.Slice(offset, data.Length).CopyTo(data);
    }

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) { } // guest_cid is read-only

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        _rxStalled = false;
        _listenerRegistration = activation.IoThread.Register(_listener.SafeHandle, Accept);
    }

    public void QueueNotify(int queue)
    {
        if (_activation is null) return;
        if (queue == TxQueue) ProcessTx();
        else if (queue == RxQueue) RxBuffersArrived();
        // The event queue holds buffers for the one event there is, the transport reset a restore sends (VsockDevice.Snapshot.cs).
    }

    public void Reset()
    {
        _listenerRegistration?.Dispose();
        _listenerRegistration = null;
        foreach (var connection in _connections.Values) CloseSocket(connection);
        foreach (var client in _clients) CloseSocket(client);
        _connections.Clear();
        _clients.Clear();
        _control.Clear();
        _activation = null;
    }

    // ---- Bookkeeping.

    private VsockConnection NewConnection(Socket socket, uint localPort, uint peerPort, ConnectionState state)
    {
        var connection = new VsockConnection(socket, localPort, peerPort, state, ConnectionBuffer);
        connection.OnEvent = () => OnSocketEvent(connection);
        return connection;
    }

    /// <summary>Watches the socket for exactly what the connection can act on now.</summary>
    private void UpdateInterest(VsockConnection connection)
    {
        EventKinds wanted = 0;
        if (connection.State == ConnectionState.AwaitingConnectLine) wanted |= EventKinds.Readable;
        if (connection.State == ConnectionState.Established && !connection.HostClosed && !_rxStalled &&
            (connection.PeerShutdown & VIRTIO_VSOCK_SHUTDOWN_RCV) == 0 && connection.Credit.PeerFree > 0)
            wanted |= EventKinds.Readable;
        if (connection.Pending.Count > 0) wanted |= EventKinds.Writable;
        if (wanted == connection.Interest) return;
        connection.Registration?.Dispose();
        connection.Registration = wanted == 0 ? null : _activation!.IoThread.Register(connection.Socket.SafeHandle, connection.OnEvent!, wanted);
        connection.Interest = wanted;
    }

    private VsockHeader Header(VsockConnection connection, ushort op) => new()
    {
        SrcCid = VMADDR_CID_HOST,
        DstCid = _guestCid,
        SrcPort = connection.LocalPort,
        DstPort = connection.PeerPort,
        Type = VIRTIO_VSOCK_TYPE_STREAM,
        Op = op,
    };

    private void QueueControl(VsockHeader header)
    {
        header.DstCid = _guestCid;
        if (_control.Count >= MaxControlPackets) return; // a guest that posts no rx buffers loses control packets, not memory
        _control.Enqueue(header);
    }

    private void QueueCreditUpdate(VsockConnection connection)
    {
        if (connection.CreditUpdateQueued) return;
        connection.CreditUpdateQueued = true;
        QueueControl(Header(connection, VIRTIO_VSOCK_OP_CREDIT_UPDATE));
    }

    /// <summary>Ends a connection from our side: RST to the guest, the host socket closed.</summary>
    private void Abort(VsockConnection connection)
    {
        QueueControl(Header(connection, VIRTIO_VSOCK_OP_RST));
        Close(connection);
    }

    private void Close(VsockConnection connection)
    {
        _connections.Remove(connection.Key);
        CloseSocket(connection);
    }

    private static void CloseSocket(VsockConnection connection)
    {
        connection.Registration?.Dispose();
        connection.Registration = null;
        connection.Interest = 0;
        connection.Socket.Dispose();
    }

    /// <summary>Writes the header over the first bytes of the chain's writable buffers, whatever their split.</summary>
    private void WriteHeader(DescriptorChain chain, in VsockHeader header)
    {
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<VsockHeader>(in header));
        var memory = _activation!.Memory;
        foreach (var segment in chain.Writable)
        {
            if (bytes.IsEmpty) break;
            int n = (int)Math.Min((uint)bytes.Length, segment.Length);
            memory.TryGetSpan(segment.Address, n, out var target);
            bytes[..n].CopyTo(target);
            bytes = bytes[n..];
        }
    }

    /// <summary>
    /// The machine disposes the devices it owns before their transports stop their I/O threads: Reset runs on that
    /// thread while it runs, so that it stops watching the sockets before they close (a listener closed under it is
    /// readable, and its Accept met a disposed socket).
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_activation?.IoThread is { IsRunning: true } loop) loop.Invoke(Reset);
        else Reset();
        _listener.Dispose();
        File.Delete(_udsPath);
        _cidLock?.Dispose();
    }
}
