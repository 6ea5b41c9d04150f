using System.Buffers.Binary;
using Glue.Tests.Virtio;
using Glue.Transports.VhostUser;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Tests.Transports.VhostUser.FakeFrontend;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Tests.Transports.VhostUser;

/// <summary>
/// A frontend that breaks the protocol never crashes the backend: what cannot be framed ends the connection; a
/// refused request is answered with a failing REPLY_ACK when one was asked for (and changes nothing), else the
/// connection ends. After a failure answer the session goes on.
/// </summary>
public sealed class MalformedFrontendTests
{
    private static FakeFrontend Rng() => new(loop => new FakeVirtioDevice(loop));

    /// <summary>The backend still answers: the session survived.</summary>
    private static void AssertStillServing(FakeFrontend frontend) =>
        Assert.NotEqual(0UL, frontend.GetU64(VHOST_USER_GET_FEATURES));

    private static void AssertDisconnected(FakeFrontend frontend)
    {
        using var reply = frontend.Receive();
        Assert.Null(reply);
        Assert.True(frontend.SessionEnded);
    }

    [Fact]
    public void A_garbage_header_ends_the_connection()
    {
        using var frontend = Rng();
        frontend.SendRaw([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0]);
        AssertDisconnected(frontend);
    }

    [Fact]
    public void A_payload_over_the_limit_ends_the_connection()
    {
        using var frontend = Rng();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, VHOST_USER_SET_FEATURES);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), VHOST_USER_VERSION);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 1 << 20);
        frontend.SendRaw(header);
        AssertDisconnected(frontend);
    }

    [Fact]
    public void A_connection_closed_inside_a_message_ends_the_session()
    {
        var frontend = Rng();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, VHOST_USER_SET_FEATURES);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), VHOST_USER_VERSION);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 8);
        frontend.SendRaw(header.AsSpan(0, 12));
        frontend.Dispose();
        Assert.True(frontend.SessionEnded);
    }

    [Fact]
    public void More_fds_than_any_message_carries_end_the_connection()
    {
        using var frontend = Rng();
        var fds = Enumerable.Range(0, MaxFds + 1).Select(_ => new EventFd()).ToList();
        try
        {
            frontend.Send(VHOST_USER_SET_VRING_CALL, U64(0), fds.Select(f => f.Handle.Fd).ToArray());
            AssertDisconnected(frontend);
        }
        finally
        {
            fds.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public void A_wrong_payload_size_is_refused_with_reply_ack()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_FEATURES, new byte[5]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, new byte[12]));
        AssertStillServing(frontend);
    }

    [Fact]
    public void An_unknown_request_is_refused_with_reply_ack_and_ends_the_connection_without()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.Equal(1UL, frontend.Ack(200, []));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_GET_INFLIGHT_FD, new byte[24]));
        AssertStillServing(frontend);
        frontend.Send(200, []);
        AssertDisconnected(frontend);
    }

    [Fact]
    public void A_refused_request_without_reply_ack_negotiated_ends_the_connection()
    {
        using var frontend = Rng();
        frontend.Send(VHOST_USER_SET_VRING_NUM, State(0, 3), needReply: true);
        AssertDisconnected(frontend);
    }

    [Fact]
    public void A_memory_table_without_its_fds_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0))));
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_memory_region_past_the_end_of_its_file_or_wrapping_or_empty_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        int fd = frontend.MemFd.Fd;
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize * 2, UserBase, 0)), [fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0x1000)), [fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, ulong.MaxValue - 10, 0)), [fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, 0, UserBase, 0)), [fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0), new MemoryRegionMessage(0x1000, 0x1000, UserBase + MemorySize, 0)), [fd, fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, new byte[8 + 9 * 32], Enumerable.Repeat(fd, 8).ToArray()));
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_ring_outside_the_memory_table_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, MemorySize + 0x1000, 0x2000, 0x3000)));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(5, 0x1000, 0x2000, 0x3000)));
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_ring_the_memory_table_does_not_wholly_cover_is_refused_when_it_starts()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        // The descriptor table starts 64 bytes before the end of RAM: its first byte is in the table, its 128 bytes are not.
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 8)));
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, MemorySize - 64, 0x2000, 0x3000)));
        using var kick = new EventFd();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));
        Assert.False(frontend.Backend.IsActive);
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_ring_size_that_is_not_a_power_of_two_or_too_big_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 3)));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 0)));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 16)));   // ring 0 of the fake device goes up to 8
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_BASE, State(0, 0x10000)));
        AssertStillServing(frontend);
    }

    [Fact]
    public void Ring_fds_must_match_the_nofd_flag_and_polling_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        using var eventFd = new EventFd();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_CALL, U64(0)));                                                  // no fd, no NOFD
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_CALL, U64(VHOST_USER_VRING_NOFD_MASK), [eventFd.Handle.Fd]));      // NOFD and an fd
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_CALL, U64(VHOST_USER_VRING_NOFD_MASK)));                          // no call fd: fine
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(VHOST_USER_VRING_NOFD_MASK)));                          // polling
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_GET_FEATURES + 200, [], [eventFd.Handle.Fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_OWNER, [], [eventFd.Handle.Fd]));                                       // an fd it does not take
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_ring_cannot_start_before_features_memory_or_addresses()
    {
        using var frontend = Rng();
        frontend.Send(VHOST_USER_SET_PROTOCOL_FEATURES, U64(1UL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
        using var kick = new EventFd();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));   // no memory table
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0)), [frontend.MemFd.Fd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));   // no addresses
        var driver = new MockSplitQueue(frontend.Memory, 8);
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, driver.DescTable.Value, driver.AvailRing.Value, driver.UsedRing.Value)));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));   // no VIRTIO_F_VERSION_1
        Assert.False(frontend.Backend.IsActive);
        AssertStillServing(frontend);
    }

    [Fact]
    public void A_malformed_chain_breaks_the_ring_and_writes_its_err_eventfd()
    {
        using var frontend = new FakeFrontend(_ => new Glue.Devices.Rng.RngDevice());
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        using var err = new EventFd();
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ERR, U64(0), [err.Handle.Fd]));
        var (call, kick) = frontend.StartRing(0, driver);
        using (call)
        using (kick)
        {
            driver.SetDescriptor(0, MemorySize - 4, 64);   // a buffer running off the end of guest RAM
            driver.Publish(0);
            kick.Signal();
            WaitForCall(err);
            Assert.Contains(frontend.Log, line => line.Contains("DescriptorOutsideMemory"));
            AssertStillServing(frontend);
        }
    }

    [Fact]
    public void Bad_config_requests_get_the_empty_error_reply_or_are_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        var request = new byte[12 + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), 8);   // says 8 bytes, carries 4
        Assert.Empty(frontend.Get(VHOST_USER_GET_CONFIG, request));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_CONFIG, request));
        AssertStillServing(frontend);
    }
}
