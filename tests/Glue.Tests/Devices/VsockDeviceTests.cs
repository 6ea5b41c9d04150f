using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Devices.Vsock;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Tests.Devices;

/// <summary>
/// The vsock device driven through mock queues, as a guest driver would: rx at 0x1000, tx at 0x10000, event at
/// 0x20000, 64 rx buffers of 4 KiB + header from 0x40000, tx packets from 0xc0000; host sides are real Unix sockets.
/// </summary>
public sealed class VsockDeviceTests : VirtioTestBase
{
    private const ulong GuestCid = 3;
    private const int RxBuffers = 32;
    private const uint RxBufferSize = VsockHeader.Size + 4096;
    private const ulong TxBuffer = 0xc0000;

    private readonly string _directory = Directory.CreateTempSubdirectory("glue-vsock-").FullName;
    private readonly EventLoop _loop = new("vsock-test");
    private readonly MockSplitQueue _rx, _tx, _event;
    private readonly VsockDevice _device;
    private readonly FakeInterrupts _interrupts = new();
    private int _rxSeen;
    private ushort _txNext;

    public VsockDeviceTests()
    {
        _rx = new MockSplitQueue(Memory, 64, 0x1000);
        _tx = new MockSplitQueue(Memory, 64, 0x10000);
        _event = new MockSplitQueue(Memory, 8, 0x20000);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Uds));
        listener.Listen(4);
        _device = new VsockDevice(GuestCid, Uds, listener, null);
        for (int i = 0; i < RxBuffers; i++) _rx.AddChain((RxAddress(i), RxBufferSize, true));
        var activation = new VirtioActivation(Memory, VirtioFeatures.Core, [_rx.CreateQueue(), _tx.CreateQueue(), _event.CreateQueue()],
            _interrupts, _loop, reason => throw new InvalidOperationException(reason));
        _loop.Invoke(() => _device.Activate(activation));
    }

    private string Uds => Path.Combine(_directory, "v.sock");

    private static ulong RxAddress(int i) => Buffers + (ulong)(i % RxBuffers) * 0x2000;

    public override void Dispose()
    {
        _loop.Invoke(_device.Reset);
        _loop.Dispose();
        _device.Dispose();
        Directory.Delete(_directory, true);
        base.Dispose();
    }

    [Fact]
    public void The_config_space_is_the_guest_cid()
    {
        var config = new byte[8];
        _device.ReadConfig(0, config);
        Assert.Equal(GuestCid, BitConverter.ToUInt64(config));
        Assert.Equal(VirtioIds.VIRTIO_ID_VSOCK, _device.DeviceId);
    }

    [Fact]
    public void A_restored_device_tells_the_guest_its_transport_was_reset()
    {
        _event.AddChain((0x30000, 8, true));
        _loop.Invoke(_device.AfterRestore);
        Assert.Equal((ushort)1, _event.UsedIdx);
        Assert.Equal((0u, (uint)EventSize), _event.UsedElement(0));
        Assert.Equal(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, Memory.Read<uint>(new GuestAddress(0x30000)));
        Assert.Contains(VsockDevice.EventQueue, _interrupts.UsedBuffers);
    }

    [Fact]
    public void A_connect_to_a_port_nobody_listens_on_is_refused_with_rst()
    {
        SendPacket(Request(1000, 52));
        var reply = NextRx();
        Assert.Equal((VIRTIO_VSOCK_OP_RST, 52u, 1000u, GuestCid), (reply.Header.Op, reply.Header.SrcPort, reply.Header.DstPort, reply.Header.DstCid));
    }

    [Fact]
    public void A_guest_connect_reaches_uds_port_and_data_flows_both_ways()
    {
        using var server = Listen(Uds + "_52");
        SendPacket(Request(1000, 52));
        using var host = server.Accept();
        var response = NextRx();
        Assert.Equal(VIRTIO_VSOCK_OP_RESPONSE, response.Header.Op);
        Assert.Equal(VsockDevice.ConnectionBuffer, response.Header.BufAlloc);

        SendPacket(Packet(1000, 52, VIRTIO_VSOCK_OP_RW), "hello host"u8.ToArray());
        var received = new byte[10];
        host.ReceiveTimeout = 5000;
        Assert.Equal(10, host.Receive(received));
        Assert.Equal("hello host"u8.ToArray(), received);

        host.Send("hello guest"u8);
        var data = NextRx();
        Assert.Equal((VIRTIO_VSOCK_OP_RW, 11u, 2UL, GuestCid, 52u, 1000u), (data.Header.Op, data.Header.Len, data.Header.SrcCid, data.Header.DstCid, data.Header.SrcPort, data.Header.DstPort));
        Assert.Equal("hello guest"u8.ToArray(), data.Payload);
        Assert.Equal((VsockDevice.ConnectionBuffer, 10u), (data.Header.BufAlloc, data.Header.FwdCnt)); // our credit on every packet

        host.Shutdown(SocketShutdown.Both);
        var shutdown = NextRx();
        Assert.Equal((VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND), (shutdown.Header.Op, shutdown.Header.Flags));
    }

    [Fact]
    public void Data_to_the_guest_stops_at_its_credit_and_resumes_on_credit_update()
    {
        using var server = Listen(Uds + "_52");
        SendPacket(Request(1000, 52, bufAlloc: 6000));
        using var host = server.Accept();
        Assert.Equal(VIRTIO_VSOCK_OP_RESPONSE, NextRx().Header.Op);

        host.Send(new byte[10000]);
        int got = 0;
        while (got < 6000) got += (int)NextRx(VIRTIO_VSOCK_OP_RW).Header.Len;
        Assert.Equal(6000, got);
        Assert.Equal(VIRTIO_VSOCK_OP_CREDIT_REQUEST, NextRx().Header.Op);
        Assert.False(TryNextRx(TimeSpan.FromMilliseconds(100), out _));   // out of credit: nothing more

        SendPacket(Packet(1000, 52, VIRTIO_VSOCK_OP_CREDIT_UPDATE, bufAlloc: 6000, fwdCnt: 6000));
        while (got < 10000) got += (int)NextRx(VIRTIO_VSOCK_OP_RW).Header.Len;
        Assert.Equal(10000, got);
    }

    [Fact]
    public void A_guest_that_sends_beyond_our_buffer_is_reset()
    {
        using var server = Listen(Uds + "_52");
        SendPacket(Request(1000, 52));
        using var host = server.Accept();
        Assert.Equal(VIRTIO_VSOCK_OP_RESPONSE, NextRx().Header.Op);
        // Fill the host socket's buffer (nobody reads it) and then our ring, until the guest oversteps.
        var chunk = new byte[0x20000 - 64];
        for (int i = 0; i < 64; i++)
        {
            SendPacket(Packet(1000, 52, VIRTIO_VSOCK_OP_RW), chunk);
            if (TryNextRx(TimeSpan.FromMilliseconds(20), out var packet) && packet.Header.Op == VIRTIO_VSOCK_OP_RST) return;
        }
        Assert.Fail("no RST for a guest far beyond its credit");
    }

    [Fact]
    public void A_host_client_connects_with_connect_and_hears_ok()
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(Uds));
        client.Send("CONNECT 1234\n"u8);
        var request = NextRx();
        Assert.Equal((VIRTIO_VSOCK_OP_REQUEST, 1234u, 2UL), (request.Header.Op, request.Header.DstPort, request.Header.SrcCid));
        uint local = request.Header.SrcPort;

        SendPacket(Packet(1234, local, VIRTIO_VSOCK_OP_RESPONSE));
        client.ReceiveTimeout = 5000;
        var line = new byte[32];
        int n = client.Receive(line);
        Assert.Equal($"OK {local}\n", System.Text.Encoding.ASCII.GetString(line, 0, n));

        client.Send("ping"u8);
        Assert.Equal("ping"u8.ToArray(), NextRx(VIRTIO_VSOCK_OP_RW).Payload);
    }

    [Fact]
    public void A_refused_host_client_is_closed()
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(Uds));
        client.Send("CONNECT 9\n"u8);
        var request = NextRx();
        SendPacket(Packet(9, request.Header.SrcPort, VIRTIO_VSOCK_OP_RST));
        client.ReceiveTimeout = 5000;
        Assert.Equal(0, client.Receive(new byte[16]));
    }

    [Fact]
    public void Disposed_while_its_io_thread_runs_it_closes_its_sockets_there_and_the_thread_goes_on()
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(Uds));
        client.Send("CONNECT 1234\n"u8);
        NextRx();   // the device took the client and asked the guest

        _device.Dispose();   // as the machine does, before the transport stops the loop
        client.ReceiveTimeout = 5000;
        Assert.Equal(0, client.Receive(new byte[16]));
        Assert.False(File.Exists(Uds));
        Assert.True(_loop.IsRunning);
        _loop.Invoke(() => { });
    }

    // ---- The guest driver's side.

    private static Socket Listen(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen(4);
        return s;
    }

    private static VsockHeader Packet(uint src, uint dst, ushort op, uint bufAlloc = 65536, uint fwdCnt = 0) => new()
    {
        SrcCid = GuestCid, DstCid = 2, SrcPort = src, DstPort = dst, Type = VIRTIO_VSOCK_TYPE_STREAM, Op = op, BufAlloc = bufAlloc, FwdCnt = fwdCnt,
    };

    private static VsockHeader Request(uint src, uint dst, uint bufAlloc = 65536) => Packet(src, dst, VIRTIO_VSOCK_OP_REQUEST, bufAlloc);

    private void SendPacket(VsockHeader header, byte[]? payload = null)
    {
        payload ??= [];
        header.Len = (uint)payload.Length;
        ulong at = TxBuffer + (ulong)(_txNext++ % 2) * 0x20000;
        Memory.Write(new GuestAddress(at), header);
        Memory.Write(new GuestAddress(at + VsockHeader.Size), payload);
        _tx.AddChain((at, (uint)(VsockHeader.Size + payload.Length), false));
        _loop.Invoke(() => _device.QueueNotify(VsockDevice.TxQueue));
    }

    private (VsockHeader Header, byte[] Payload) NextRx(ushort? skipUntil = null)
    {
        var limit = Stopwatch.StartNew();
        while (limit.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (TryNextRx(TimeSpan.FromSeconds(5), out var packet) && (skipUntil is null || packet.Header.Op == skipUntil)) return packet;
        }
        throw new TimeoutException("no packet on the rx queue");
    }

    /// <summary>The next used rx buffer; its buffer goes straight back to the ring, as a driver recycles them.</summary>
    private bool TryNextRx(TimeSpan limit, out (VsockHeader Header, byte[] Payload) packet)
    {
        var clock = Stopwatch.StartNew();
        while (_rx.UsedIdx == (ushort)_rxSeen)
        {
            if (clock.Elapsed > limit)
            {
                packet = default;
                return false;
            }
            Thread.Sleep(1);
        }
        var (id, len) = _rx.UsedElement(_rxSeen++);
        ulong at = RxAddress((int)id);
        var header = Memory.Read<VsockHeader>(new GuestAddress(at));
        Assert.Equal((uint)VsockHeader.Size + header.Len, len);
        packet = (header, Bytes(at + VsockHeader.Size, (int)header.Len));
        _rx.Publish((ushort)id);
        _loop.Invoke(() => _device.QueueNotify(VsockDevice.RxQueue));
        return true;
    }
}
