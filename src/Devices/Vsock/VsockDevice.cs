using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
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
/// </summary>
public sealed class VsockDevice : IVirtioDevice, IDisposable
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
        // The event queue only holds buffers for events we never send (transport reset is for migration).
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

    // ---- Guest to host: the tx queue.

    private void ProcessTx()
    {
        var queue = _activation!.Queues[TxQueue];
        do
        {
            queue.DisableNotification();
            while (queue.TryPop(out var chain))
            {
                if (chain.Reader.TryRead(out VsockHeader header)) HandleGuestPacket(header, chain.Reader);
                queue.AddUsed(chain.Head, 0);
            }
        } while (queue.EnableNotification());
        _activation.SignalUsedIfNeeded(TxQueue);
        FlushControl();
    }

    private void HandleGuestPacket(in VsockHeader header, ChainReader payload)
    {
        // Only stream packets from our guest to the host; others are answered with RST (§5.10.6.1) or dropped.
        if (header.SrcCid != _guestCid || header.DstCid != VMADDR_CID_HOST) return;
        if (header.Type != VIRTIO_VSOCK_TYPE_STREAM)
        {
            if (header.Op != VIRTIO_VSOCK_OP_RST) QueueControl(header.Reply(VIRTIO_VSOCK_OP_RST));
            return;
        }
        _connections.TryGetValue((header.DstPort, header.SrcPort), out var connection);
        if (connection is null)
        {
            if (header.Op == VIRTIO_VSOCK_OP_REQUEST) ConnectToHost(header);
            else if (header.Op != VIRTIO_VSOCK_OP_RST) QueueControl(header.Reply(VIRTIO_VSOCK_OP_RST));
            return;
        }

        connection.Credit.UpdatePeer(header.BufAlloc, header.FwdCnt);
        switch (header.Op)
        {
            case VIRTIO_VSOCK_OP_RESPONSE when connection.State == ConnectionState.Connecting:
                connection.State = ConnectionState.Established;
                if (!SendGreeting(connection)) Abort(connection);
                break;
            case VIRTIO_VSOCK_OP_RW when connection.State == ConnectionState.Established:
                if (!FromGuest(connection, payload, header.Len)) Abort(connection);
                break;
            case VIRTIO_VSOCK_OP_SHUTDOWN:
                connection.PeerShutdown |= header.Flags & (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND);
                FinishShutdown(connection);
                break;
            case VIRTIO_VSOCK_OP_RST:
                Close(connection);
                return;
            case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
                QueueCreditUpdate(connection);
                break;
            case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
                connection.CreditRequestSent = false;
                break;
            default: // REQUEST for a live connection, RESPONSE or RW out of turn: the guest is confused.
                Abort(connection);
                return;
        }
        if (_connections.ContainsKey(connection.Key)) UpdateInterest(connection);
    }

    /// <summary>The guest connects to host port P: connect to uds_P now (a Unix connect does not wait), answer RESPONSE or RST.</summary>
    private void ConnectToHost(in VsockHeader request)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint($"{_udsPath}_{request.DstPort}"));
            socket.Blocking = false;
        }
        catch (SocketException)
        {
            socket.Dispose();
            QueueControl(request.Reply(VIRTIO_VSOCK_OP_RST));
            return;
        }
        var connection = NewConnection(socket, request.DstPort, request.SrcPort, ConnectionState.Established);
        connection.Credit.UpdatePeer(request.BufAlloc, request.FwdCnt);
        _connections.Add(connection.Key, connection);
        QueueControl(request.Reply(VIRTIO_VSOCK_OP_RESPONSE));
        UpdateInterest(connection);
    }

    /// <summary>
    /// RW payload from the guest: written straight to the host socket while it takes it, the rest kept in the
    /// connection's ring. False when the guest sent more than its credit allows, or the socket failed.
    /// </summary>
    private bool FromGuest(VsockConnection connection, ChainReader payload, uint length)
    {
        if (length > payload.Remaining || !connection.Credit.TryReceive(length)) return false;
        uint left = length;
        while (left > 0)
        {
            var bytes = payload.GetSpan((int)Math.Min(left, int.MaxValue));
            int written = 0;
            if (connection.Pending.Count == 0)
            {
                written = connection.Socket.Send(bytes, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock) written = 0;
                else if (error != SocketError.Success) return false;
                connection.Credit.Forwarded((uint)written);
            }
            connection.Pending.Write(bytes[written..]);
            payload.Advance((ulong)bytes.Length);
            left -= (uint)bytes.Length;
        }
        if (connection.Credit.UpdateDue) QueueCreditUpdate(connection);
        return true;
    }

    /// <summary>The host socket can take more: write the ring out, and tell the guest about the room it made.</summary>
    private bool FlushPending(VsockConnection connection)
    {
        while (connection.Pending.Count > 0)
        {
            int written = connection.Socket.Send(connection.Pending.Peek(), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) break;
            if (error != SocketError.Success) return false;
            connection.Pending.Consume(written);
            connection.Credit.Forwarded((uint)written);
        }
        if (connection.Credit.UpdateDue) QueueCreditUpdate(connection);
        FinishShutdown(connection);
        return true;
    }

    /// <summary>Acts on the guest's SHUTDOWN once its data is out: half-closes the host socket, or closes with RST.</summary>
    private void FinishShutdown(VsockConnection connection)
    {
        if (connection.PeerShutdown == 0 || connection.Pending.Count > 0) return;
        if ((connection.PeerShutdown & VIRTIO_VSOCK_SHUTDOWN_SEND) != 0 && connection.Socket.Connected)
        {
            try { connection.Socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
        }
        // Both ways shut: the connection is over; the receiver of a full shutdown sends RST (as Linux does).
        if (connection.PeerShutdown == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)) Abort(connection);
    }

    // ---- Host to guest: the rx queue.

    private void RxBuffersArrived()
    {
        _rxStalled = false;
        FlushControl();
        if (_rxStalled) return;
        foreach (var connection in _connections.Values) UpdateInterest(connection);
    }

    /// <summary>A receive buffer for the next packet; none means we wait for the driver's next rx kick.</summary>
    private bool TryTakeRxBuffer(out DescriptorChain? chain)
    {
        var queue = _activation!.Queues[RxQueue];
        if (queue.TryPop(out chain)) return true;
        if (queue.EnableNotification() && queue.TryPop(out chain)) return true;
        if (!_rxStalled)
        {
            _rxStalled = true; // stop reading sockets until buffers come (else level-triggered epoll would spin)
            foreach (var connection in _connections.Values) UpdateInterest(connection);
        }
        return false;
    }

    private void FlushControl()
    {
        if (_activation is null) return;
        bool used = false;
        while (_control.Count > 0 && TryTakeRxBuffer(out var chain))
        {
            var header = _control.Dequeue();
            if (_connections.TryGetValue((header.SrcPort, header.DstPort), out var connection))
            {
                connection.Credit.Stamp(ref header);
                if (header.Op == VIRTIO_VSOCK_OP_CREDIT_UPDATE) connection.CreditUpdateQueued = false;
            }
            WriteHeader(chain!, header);
            _activation.Queues[RxQueue].AddUsed(chain!.Head, VsockHeader.Size);
            used = true;
        }
        if (used) _activation.SignalUsedIfNeeded(RxQueue);
    }

    /// <summary>The connection's socket is ready: write out what waits for it, read what the guest has credit for.</summary>
    private void OnSocketEvent(VsockConnection connection)
    {
        if (connection.State == ConnectionState.AwaitingConnectLine)
        {
            ReadConnectLine(connection);
            return;
        }
        if (connection.Pending.Count > 0 && !FlushPending(connection))
        {
            Abort(connection);
            return;
        }
        if (!_connections.ContainsKey(connection.Key)) return;
        if ((connection.Interest & EventKinds.Readable) != 0) ToGuest(connection);
        if (_connections.ContainsKey(connection.Key)) UpdateInterest(connection);
    }

    /// <summary>Reads the host socket straight into receive buffers, as much as the guest's credit allows.</summary>
    private void ToGuest(VsockConnection connection)
    {
        FlushControl(); // control packets first: a RESPONSE must reach the guest before data
        var queue = _activation!.Queues[RxQueue];
        bool used = false;
        for (int i = 0; i < MaxReadsPerEvent && _control.Count == 0; i++)
        {
            uint credit = connection.Credit.PeerFree;
            if (credit == 0)
            {
                if (!connection.CreditRequestSent)
                {
                    connection.CreditRequestSent = true;
                    QueueControl(Header(connection, VIRTIO_VSOCK_OP_CREDIT_REQUEST));
                }
                break;
            }
            if (!TryTakeRxBuffer(out var chain)) break;
            var writer = chain!.Writer;
            if (writer.Length <= VsockHeader.Size)
            {
                queue.AddUsed(chain.Head, 0); // too small for a header and data: a driver bug, the buffer goes back empty
                used = true;
                continue;
            }
            writer.Advance(VsockHeader.Size);
            var data = writer.GetSpan((int)Math.Min(credit, int.MaxValue));
            int read = connection.Socket.Receive(data, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                queue.UndoPop();
                break;
            }
            if (error != SocketError.Success || read == 0)
            {
                queue.UndoPop();
                if (error != SocketError.Success) Abort(connection);
                else HostClosed(connection);
                break;
            }
            var header = Header(connection, VIRTIO_VSOCK_OP_RW);
            header.Len = (uint)read;
            connection.Credit.Stamp(ref header); // every packet tells the guest our credit
            connection.Credit.Sent((uint)read);
            WriteHeader(chain, header);
            queue.AddUsed(chain.Head, (uint)(VsockHeader.Size + read));
            used = true;
        }
        if (used) _activation.SignalUsedIfNeeded(RxQueue);
        FlushControl();
    }

    /// <summary>The host closed its end: the guest gets SHUTDOWN (no more either way) and answers with RST.</summary>
    private void HostClosed(VsockConnection connection)
    {
        if (connection.HostClosed) return;
        connection.HostClosed = true;
        var shutdown = Header(connection, VIRTIO_VSOCK_OP_SHUTDOWN);
        shutdown.Flags = VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
        QueueControl(shutdown);
    }

    // ---- Host clients: Glue's listening socket.

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

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var connection in _connections.Values) connection.Socket.Dispose();
        foreach (var client in _clients) client.Socket.Dispose();
        _listener.Dispose();
        File.Delete(_udsPath);
        _cidLock?.Dispose();
    }
}
