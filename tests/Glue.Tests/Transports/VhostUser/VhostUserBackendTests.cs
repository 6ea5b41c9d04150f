using System.Buffers.Binary;
using Glue.Devices.Block;
using Glue.Devices.Rng;
using Glue.Tests.Virtio;
using Glue.Transports.VhostUser;
using Glue.Virtio;
using Xunit;
using static Glue.Tests.Transports.VhostUser.FakeFrontend;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Tests.Transports.VhostUser;

/// <summary>A well-behaved frontend: negotiation, the memory table, rings, kicks and calls, config, stop and reconnect.</summary>
public sealed class VhostUserBackendTests
{
    private const ulong Buffers = 0x40000;

    [Fact]
    public void Features_are_the_devices_the_cores_and_protocol_features()
    {
        using var frontend = new FakeFrontend(loop => new FakeVirtioDevice(loop));
        ulong features = frontend.GetU64(VHOST_USER_GET_FEATURES);
        Assert.Equal(FakeVirtioDevice.DeviceFeature | VirtioFeatures.Core | 1UL << VHOST_USER_F_PROTOCOL_FEATURES, features);
        Assert.Equal(1UL << VHOST_USER_PROTOCOL_F_MQ | 1UL << VHOST_USER_PROTOCOL_F_REPLY_ACK | 1UL << VHOST_USER_PROTOCOL_F_CONFIG,
            frontend.GetU64(VHOST_USER_GET_PROTOCOL_FEATURES));
        Assert.Equal(2UL, frontend.GetU64(VHOST_USER_GET_QUEUE_NUM));
    }

    [Fact]
    public void An_rng_ring_is_filled_from_the_frontends_memory_and_the_call_eventfd_is_written()
    {
        using var frontend = new FakeFrontend(_ => new RngDevice());
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        var (call, kick) = frontend.StartRing(0, driver);
        using (call)
        using (kick)
        {
            OfferAndWait(driver, kick, call, (Buffers, 64, true));
            Assert.Equal(1, driver.UsedIdx);
            Assert.Equal((0u, 64u), driver.UsedElement(0));
            Assert.Contains(frontend.Memory.GetSpan(new(Buffers), 64).ToArray(), b => b != 0);
            Assert.True(frontend.Backend.IsActive);

            // GET_VRING_BASE stops the ring, answers where it stands, and (the last ring) resets the device.
            var state = frontend.Get(VHOST_USER_GET_VRING_BASE, State(0, 0));
            Assert.Equal(State(0, 1), state);
            Assert.False(frontend.Backend.IsActive);
        }
    }

    [Fact]
    public void A_restarted_ring_continues_from_the_base_and_the_used_idx_in_memory()
    {
        using var frontend = new FakeFrontend(_ => new RngDevice());
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        var (call, kick) = frontend.StartRing(0, driver);
        OfferAndWait(driver, kick, call, (Buffers, 16, true));
        Assert.Equal(State(0, 1), frontend.Get(VHOST_USER_GET_VRING_BASE, State(0, 0)));
        call.Dispose();
        kick.Dispose();

        (call, kick) = frontend.StartRing(0, driver, availBase: 1);
        using (call)
        using (kick)
        {
            driver.UsedEvent = driver.UsedIdx;   // as a driver does: interrupt me after the next one
            OfferAndWait(driver, kick, call, (Buffers + 0x100, 16, true));
            Assert.Equal(2, driver.UsedIdx);
            Assert.Equal((1u, 16u), driver.UsedElement(1));
        }
    }

    [Fact]
    public void A_ring_waits_for_enable_when_protocol_features_were_negotiated()
    {
        using var frontend = new FakeFrontend(loop => new FakeVirtioDevice(loop));
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        frontend.Send(VHOST_USER_SET_VRING_NUM, State(0, 8));
        frontend.Send(VHOST_USER_SET_VRING_ADDR, Addr(0, driver.DescTable.Value, driver.AvailRing.Value, driver.UsedRing.Value));
        using var kick = new Glue.Virtio.Events.EventFd();
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_KICK, U64(0), [kick.Handle.Fd]));
        Assert.False(frontend.Backend.IsActive);
        Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_VRING_ENABLE, State(0, 1)));
        Assert.True(frontend.Backend.IsActive);
        var device = (FakeVirtioDevice)frontend.Device;
        Assert.True(device.ActivatedOnIoThread);
        Assert.True(device.Activation!.Queues[0].IsReady);
        Assert.False(device.Activation.Queues[1].IsReady);
    }

    [Fact]
    public void A_new_memory_table_while_a_ring_runs_rebuilds_the_queues_where_they_stood()
    {
        using var frontend = new FakeFrontend(_ => new RngDevice());
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        var (call, kick) = frontend.StartRing(0, driver);
        using (call)
        using (kick)
        {
            OfferAndWait(driver, kick, call, (Buffers, 16, true));
            // The same memory again, as QEMU sends when its guest's memory map changes.
            Assert.Equal(0UL, frontend.Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0)), [frontend.MemFd.Fd]));
            call.Drain();
            driver.UsedEvent = driver.UsedIdx;   // as a driver does: interrupt me after the next one
            OfferAndWait(driver, kick, call, (Buffers + 0x100, 16, true));
            Assert.Equal(2, driver.UsedIdx);
        }
    }

    [Fact]
    public void Get_config_reads_the_devices_config_space_padded_to_the_size_asked()
    {
        string image = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(image, new byte[4096]);
            using var frontend = new FakeFrontend(_ => (BlockFeatureCreate(image)));
            var request = new byte[12 + 60];
            BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), 60);
            var reply = frontend.Get(VHOST_USER_GET_CONFIG, request);
            Assert.Equal(72, reply.Length);
            Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(12)));               // capacity in sectors
            Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(12 + VirtioBlk.ConfigBlkSize)));
            Assert.All(reply.AsSpan(12 + VirtioBlk.ConfigSize).ToArray(), b => Assert.Equal(0, b));
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void A_console_transmits_what_the_driver_writes()
    {
        // QEMU 7.2 has no vhost-user console frontend; the device works over the transport like any other.
        var output = new MemoryStream();
        using var frontend = new FakeFrontend(_ => new Glue.Devices.VirtioConsole.VirtioConsoleDevice(output));
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8, baseAddress: 0x10000);
        var (call, kick) = frontend.StartRing(1, driver);
        using (call)
        using (kick)
        {
            frontend.Memory.Write(new(Buffers), "hello\n"u8);
            OfferAndWait(driver, kick, call, (Buffers, 6, false));
            Assert.Equal("hello\n"u8.ToArray(), output.ToArray());
        }
    }

    [Fact]
    public void A_frontend_that_goes_away_resets_the_device()
    {
        var frontend = new FakeFrontend(loop => new FakeVirtioDevice(loop));
        var device = (FakeVirtioDevice)frontend.Device;
        frontend.Negotiate();
        var driver = new MockSplitQueue(frontend.Memory, 8);
        var (call, kick) = frontend.StartRing(0, driver);
        Assert.NotNull(device.Activation);
        frontend.Dispose();
        Assert.Null(device.Activation);
        Assert.Equal(1, device.Resets);
        call.Dispose();
        kick.Dispose();
    }

    private static BlockDevice BlockFeatureCreate(string image) =>
        (BlockDevice)new BlockFeature().Create(new Glue.Core.Devices.DeviceOptionValues(new Dictionary<string, string[]> { ["--disk"] = [image] }))[0];
}
