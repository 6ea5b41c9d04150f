using System.Net.Sockets;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Devices.Vsock;

/// <summary>Host to guest: the rx queue, control packets, and host socket data read straight into receive buffers.</summary>
public sealed partial class VsockDevice
{
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
}
