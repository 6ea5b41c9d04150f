using System.Net.Sockets;
using Glue.Virtio.Split;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Devices.Vsock;

/// <summary>Guest to host: the tx queue, the guest's packets, and its data on the way to host sockets.</summary>
public sealed partial class VsockDevice
{
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
}
