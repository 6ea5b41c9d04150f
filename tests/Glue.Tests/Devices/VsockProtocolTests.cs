using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Glue.Devices.Vsock;
using Xunit;

namespace Glue.Tests.Devices;

public sealed class VsockProtocolTests
{
    [Fact]
    public void The_header_is_44_packed_little_endian_bytes_in_spec_order()
    {
        Assert.Equal(VsockHeader.Size, Unsafe.SizeOf<VsockHeader>());
        var bytes = new byte[44];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)i;
        var h = MemoryMarshal.Read<VsockHeader>(bytes);
        Assert.Equal(0x0706050403020100UL, h.SrcCid);
        Assert.Equal(0x0f0e0d0c0b0a0908UL, h.DstCid);
        Assert.Equal(0x13121110u, h.SrcPort);
        Assert.Equal(0x17161514u, h.DstPort);
        Assert.Equal(0x1b1a1918u, h.Len);
        Assert.Equal((ushort)0x1d1c, h.Type);
        Assert.Equal((ushort)0x1f1e, h.Op);
        Assert.Equal(0x23222120u, h.Flags);
        Assert.Equal(0x27262524u, h.BufAlloc);
        Assert.Equal(0x2b2a2928u, h.FwdCnt);
    }

    [Fact]
    public void A_reply_swaps_source_and_destination()
    {
        var h = new VsockHeader { SrcCid = 3, DstCid = 2, SrcPort = 1000, DstPort = 52, Op = VsockProtocol.VIRTIO_VSOCK_OP_REQUEST, Len = 9 };
        var r = h.Reply(VsockProtocol.VIRTIO_VSOCK_OP_RST);
        Assert.Equal((2UL, 3UL, 52u, 1000u, VsockProtocol.VIRTIO_VSOCK_OP_RST, 0u), (r.SrcCid, r.DstCid, r.SrcPort, r.DstPort, r.Op, r.Len));
        Assert.Equal(VsockProtocol.VIRTIO_VSOCK_TYPE_STREAM, r.Type);
    }

    [Fact]
    public void Peer_credit_is_its_buffer_less_what_is_in_flight()
    {
        var c = new Credit(1000);
        Assert.Equal(0u, c.PeerFree); // nothing heard from the guest yet: no credit
        c.UpdatePeer(4096, 0);
        Assert.Equal(4096u, c.PeerFree);
        c.Sent(4000);
        Assert.Equal(96u, c.PeerFree);
        c.Sent(96);
        Assert.Equal(0u, c.PeerFree);
        c.UpdatePeer(4096, 1000);
        Assert.Equal(1000u, c.PeerFree);
    }

    [Fact]
    public void Counters_wrap_around_32_bits()
    {
        var c = new Credit(1000);
        c.Sent(uint.MaxValue - 50);             // tx_cnt is 2^32 - 51
        c.UpdatePeer(4096, c.TxCnt - 100);      // the guest forwarded all but 100
        Assert.Equal(3996u, c.PeerFree);
        c.Sent(200);                            // tx_cnt wraps past 0 to 149
        Assert.Equal(149u, c.TxCnt);
        Assert.Equal(3796u, c.PeerFree);
    }

    [Fact]
    public void A_guest_that_oversends_is_caught_and_forwarding_returns_credit()
    {
        var c = new Credit(1024);
        Assert.True(c.TryReceive(1000));
        Assert.Equal(24u, c.LocalFree);
        Assert.False(c.TryReceive(25));
        Assert.False(c.UpdateDue);
        c.Forwarded(255);
        Assert.False(c.UpdateDue);
        c.Forwarded(1);
        Assert.True(c.UpdateDue);  // a quarter of the buffer forwarded since the guest last heard
        var h = new VsockHeader();
        c.Stamp(ref h);
        Assert.Equal((1024u, 256u), (h.BufAlloc, h.FwdCnt));
        Assert.False(c.UpdateDue);
        Assert.Equal(280u, c.LocalFree);
        Assert.True(c.TryReceive(280));
    }

    [Theory]
    [InlineData("CONNECT 52\n", 52u, 11)]
    [InlineData("CONNECT 4294967295\n", 4294967295u, 19)]
    [InlineData("CONNECT 7\r\nhello", 7u, 11)]
    public void A_connect_line_gives_the_port_and_its_length(string text, uint port, int length)
    {
        Assert.Equal(ConnectLine.Result.Valid, ConnectLine.Parse(Encoding.ASCII.GetBytes(text), out uint p, out int n));
        Assert.Equal((port, length), (p, n));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CONN")]
    [InlineData("CONNECT 52")]
    public void A_partial_connect_line_is_incomplete(string text) =>
        Assert.Equal(ConnectLine.Result.Incomplete, ConnectLine.Parse(Encoding.ASCII.GetBytes(text), out _, out _));

    [Theory]
    [InlineData("CONNECT \n")]
    [InlineData("CONNECT x\n")]
    [InlineData("CONNECT -1\n")]
    [InlineData("CONNECT 4294967296\n")]
    [InlineData("connect 52\n")]
    [InlineData("CONNECT 52 \n")]
    [InlineData("GET / HTTP/1.1\n")]
    [InlineData("CONNECT 00000000000000000000000052\n")]
    [InlineData("CONNECT 1111111111111111111111111111111")]
    public void A_bad_connect_line_is_invalid(string text) =>
        Assert.Equal(ConnectLine.Result.Invalid, ConnectLine.Parse(Encoding.ASCII.GetBytes(text), out _, out _));

    [Theory]
    [InlineData("cid=3,uds=/tmp/v.sock", 3UL)]
    [InlineData("uds=/tmp/v.sock,cid=4294967294", 4294967294UL)]
    public void Vsock_options_parse(string value, ulong cid) => Assert.Equal((cid, "/tmp/v.sock"), VsockFeature.Parse(value));

    [Theory]
    [InlineData("cid=2,uds=/tmp/v.sock")]
    [InlineData("cid=0,uds=/tmp/v.sock")]
    [InlineData("cid=4294967295,uds=/tmp/v.sock")]
    [InlineData("cid=x,uds=/tmp/v.sock")]
    [InlineData("cid=3")]
    [InlineData("uds=/tmp/v.sock")]
    [InlineData("cid=3,uds=/tmp/v.sock,mode=1")]
    [InlineData("cid=3,uds=")]
    public void Bad_vsock_options_are_config_errors(string value) =>
        Assert.Throws<Glue.Core.Devices.DeviceConfigException>(() => VsockFeature.Parse(value));

    [Fact]
    public void The_byte_ring_wraps()
    {
        var ring = new ByteRing(8);
        ring.Write([1, 2, 3, 4, 5, 6]);
        ring.Consume(5);
        ring.Write([7, 8, 9, 10, 11]);
        Assert.Equal(6, ring.Count);
        Assert.Equal([6, 7, 8], ring.Peek().ToArray());
        ring.Consume(3);
        Assert.Equal([9, 10, 11], ring.Peek().ToArray());
        Assert.Throws<InvalidOperationException>(() => ring.Write(new byte[6]));
    }
}
