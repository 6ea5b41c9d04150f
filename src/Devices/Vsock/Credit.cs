namespace Glue.Devices.Vsock;

/// <summary>
/// Credit-based flow control of one connection (virtio 1.2 §5.10.6.3), both directions, with wrapping 32-bit
/// counters as the spec has them.
///
/// To the guest: the guest advertises buf_alloc and fwd_cnt in every packet it sends; we may have at most
/// buf_alloc bytes it has not forwarded: peer_free = buf_alloc - (tx_cnt - fwd_cnt). We read the host socket
/// only while that is positive, so a slow guest stops us reading and the host writer blocks in its kernel.
///
/// From the guest: we advertise <see cref="BufAlloc"/> (our buffer for this connection) and fwd_cnt (bytes we
/// have written to the host socket). A guest that sends more than we have room for breaks the protocol.
/// </summary>
public struct Credit(uint bufAlloc)
{
    /// <summary>Our receive buffer for the connection: what we advertise as buf_alloc.</summary>
    public uint BufAlloc { get; } = bufAlloc;

    /// <summary>Bytes from the guest written to the host socket (our fwd_cnt).</summary>
    public uint FwdCnt { get; private set; }

    /// <summary>Bytes received from the guest (forwarded or buffered).</summary>
    public uint RxCnt { get; private set; }

    /// <summary>The fwd_cnt the guest last heard from us.</summary>
    public uint ReportedFwdCnt { get; private set; }

    /// <summary>Bytes sent to the guest (our tx_cnt).</summary>
    public uint TxCnt { get; private set; }

    public uint PeerBufAlloc { get; private set; }
    public uint PeerFwdCnt { get; private set; }

    /// <summary>How many more bytes the guest can take now.</summary>
    public readonly uint PeerFree
    {
        get
        {
            uint inFlight = TxCnt - PeerFwdCnt;
            return inFlight >= PeerBufAlloc ? 0 : PeerBufAlloc - inFlight;
        }
    }

    /// <summary>How many more bytes the guest may send us now: our buffer less what it sent and we have not forwarded.</summary>
    public readonly uint LocalFree => BufAlloc - (RxCnt - FwdCnt);

    /// <summary>Every packet from the guest carries its credit.</summary>
    public void UpdatePeer(uint bufAlloc, uint fwdCnt)
    {
        PeerBufAlloc = bufAlloc;
        PeerFwdCnt = fwdCnt;
    }

    public void Sent(uint bytes) => TxCnt += bytes;

    /// <summary>The guest sent <paramref name="bytes"/>; false when they exceed the room it was given.</summary>
    public bool TryReceive(uint bytes)
    {
        if (bytes > LocalFree) return false;
        RxCnt += bytes;
        return true;
    }

    public void Forwarded(uint bytes) => FwdCnt += bytes;

    /// <summary>Stamps our credit on a packet to the guest, which then knows it.</summary>
    public void Stamp(ref VsockHeader header)
    {
        header.BufAlloc = BufAlloc;
        header.FwdCnt = FwdCnt;
        ReportedFwdCnt = FwdCnt;
    }

    /// <summary>
    /// True when the guest should be told our fwd_cnt unasked: a quarter of the buffer was forwarded since it
    /// last heard. A guest out of credit has a whole buffer in flight, so this always fires before it could wait forever.
    /// </summary>
    public readonly bool UpdateDue => FwdCnt - ReportedFwdCnt >= BufAlloc / 4;
}
