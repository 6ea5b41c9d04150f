using System.Diagnostics;
using Glue.Core.Interop;
using Glue.Tests.Virtio;
using Glue.Transports.VhostUser;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Tests.Transports.VhostUser.FakeFrontend;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Tests.Transports.VhostUser;

/// <summary>
/// The three faults an independent hostile frontend found (issue 12): a ring that feeds itself must not pin the
/// device's thread, a socket must not pass as a kick or call fd, and memory the frontend could shrink under the
/// backend is refused unless the user allows it.
/// </summary>
public sealed unsafe class HostileFrontendTests
{
    private const ulong Buffer = 0x40000;

    private static FakeFrontend Rng() => new(loop => new FakeVirtioDevice(loop));

    /// <summary>How long an answer may take: a pinned I/O thread never answers, and a loaded machine only makes it slow.</summary>
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(60);

    /// <summary>The backend still answers: a pinned I/O thread never would.</summary>
    private static void AssertAnswers(FakeFrontend frontend)
    {
        var answer = Task.Run(() => frontend.GetU64(VHOST_USER_GET_FEATURES));
        Assert.True(answer.Wait(Ceiling), $"no answer within {Ceiling.TotalSeconds} s");
        Assert.NotEqual(0UL, answer.Result);
    }

    [Fact]
    public void A_used_ring_laid_over_the_avail_ring_is_refused_when_the_ring_starts()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 8)));
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, driver.DescTable.Value, driver.AvailRing.Value, driver.AvailRing.Value)));
        using var kick = new EventFd();
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));
        Assert.False(frontend.Backend.IsActive);
        lock (frontend.Log) Assert.Contains(frontend.Log, line => line.Contains("overlap"));
        AssertAnswers(frontend);
    }

    /// <summary>
    /// The same memfd mapped twice, so the used ring is the avail ring in host memory while their guest addresses
    /// are apart (no layout check can see it): each used idx the device publishes makes one more chain
    /// available. The backend still answers, and the ring can be stopped.
    /// </summary>
    [Fact]
    public void A_used_ring_aliasing_the_avail_ring_through_a_second_mapping_does_not_pin_the_io_thread()
    {
        using var frontend = new FakeFrontend(_ => new Glue.Devices.Rng.RngDevice());
        ulong features = frontend.GetU64(VHOST_USER_GET_FEATURES);
        frontend.Send(VHOST_USER_SET_FEATURES, U64(features));
        frontend.Send(VHOST_USER_SET_PROTOCOL_FEATURES, U64(frontend.GetU64(VHOST_USER_GET_PROTOCOL_FEATURES)));
        // Region 1 at guest 1 MiB maps the first 64 KiB of the same file as region 0.
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(
            new MemoryRegionMessage(0, MemorySize, UserBase, 0),
            new MemoryRegionMessage(MemorySize, 0x10000, UserBase + MemorySize, 0)), [frontend.MemFd.Fd, frontend.MemFd.Fd]));

        var driver = new MockSplitQueue(frontend.Memory, 8);
        driver.SetDescriptor(0, Buffer, 64);   // device-readable: rng writes nothing, so every used element is (0, 0)
        driver.Publish(0);                     // avail idx 1, so the aliased used idx starts one ahead of the base
        ulong aliasedUsed = MemorySize + driver.AvailRing.Value;
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_NUM, State(0, 8)));
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_BASE, State(0, 0)));
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, driver.DescTable.Value, driver.AvailRing.Value, aliasedUsed)));
        using var kick = new EventFd();
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ENABLE, State(0, 1)));

        // The device is now serving chain after chain, a queue's worth per turn of its event loop.
        ushort before = driver.AvailIdx;
        var clock = Stopwatch.StartNew();
        while ((ushort)(driver.AvailIdx - before) <= 8)
        {
            Assert.True(clock.Elapsed < Ceiling, "the ring did not keep feeding itself: the test lost its point");
            Thread.Sleep(1);
        }
        AssertAnswers(frontend);
        var stopped = frontend.Get(VHOST_USER_GET_VRING_BASE, State(0, 0));
        Assert.Equal(8, stopped.Length);
        AssertAnswers(frontend);
    }

    [Fact]
    public void The_frontends_own_socket_as_a_kick_or_call_fd_is_refused_and_closing_it_ends_the_session()
    {
        var frontend = Rng();
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ADDR, Addr(0, driver.DescTable.Value, driver.AvailRing.Value, driver.UsedRing.Value)));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [frontend.SocketFd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_CALL, U64(0), [frontend.SocketFd]));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_ERR, U64(0), [frontend.SocketFd]));
        lock (frontend.Log) Assert.Contains(frontend.Log, line => line.Contains("a socket, not an eventfd"));
        AssertAnswers(frontend);
        // The backend kept no copy of the socket: the frontend's close is the session's end.
        frontend.Dispose();
        Assert.True(frontend.SessionEnded);
    }

    [Fact]
    public void Any_socket_as_a_ring_fd_is_refused()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        int* pair = stackalloc int[2];
        Assert.Equal(0, SocketLibc.SocketPair(SocketLibc.AF_UNIX, SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC, 0, pair));
        using var a = new SafeFd(pair[0]);
        using var b = new SafeFd(pair[1]);
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_VRING_CALL, U64(0), [a.Fd]));
        AssertAnswers(frontend);
    }

    [Fact]
    public void Memory_not_sealed_against_shrinking_is_refused_with_the_option_named()
    {
        using var frontend = new FakeFrontend(loop => new FakeVirtioDevice(loop), sealedMemory: false);
        frontend.Send(VHOST_USER_SET_PROTOCOL_FEATURES, U64(1UL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
        Assert.Equal(1UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0)), [frontend.MemFd.Fd]));
        lock (frontend.Log) Assert.Contains(frontend.Log, line => line.Contains("F_SEAL_SHRINK") && line.Contains(VhostUserMemory.AllowUnsealedOption));
        AssertAnswers(frontend);
    }

    [Fact]
    public void Unsealed_memory_is_taken_when_the_user_allows_it()
    {
        using var frontend = new FakeFrontend(loop => new FakeVirtioDevice(loop), sealedMemory: false, allowUnsealedMemory: true);
        frontend.Negotiate();
        AssertAnswers(frontend);
    }

    [Fact]
    public void Sealed_memory_cannot_be_shrunk_under_the_backend()
    {
        using var frontend = Rng();
        frontend.Negotiate();
        Assert.NotEqual(0, Shrink(frontend.MemFd, 0x1000));   // EPERM: the seal is what makes the mapping safe
        AssertAnswers(frontend);
    }
}
