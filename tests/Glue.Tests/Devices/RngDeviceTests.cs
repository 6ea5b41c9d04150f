using Glue.Core.Devices;
using Glue.Devices.Rng;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;

namespace Glue.Tests.Devices;

public sealed class RngDeviceTests : VirtioTestBase
{
    private readonly EventLoop _loop = new("rng-test");
    private readonly FakeInterrupts _interrupts = new();

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }

    [Fact]
    public void Every_writable_buffer_of_a_chain_is_filled_and_its_length_used()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        var device = new RngDevice();
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [queue], _interrupts, _loop, _ => { }));

        ushort head = driver.AddChain((Buffers, 3000, true), (Buffers + 0x1000, 5000, true));
        device.QueueNotify(0);

        Assert.Equal(1, driver.UsedIdx);
        Assert.Equal((head, 8000u), driver.UsedElement(0));
        var bytes = Bytes(Buffers, 3000).Concat(Bytes(Buffers + 0x1000, 5000)).ToArray();
        Assert.True(bytes.Distinct().Count() > 200, "8000 random bytes should take most byte values");
        Assert.Equal([0], _interrupts.UsedBuffers);
    }

    [Fact]
    public void Readable_buffers_are_left_alone_and_a_chain_without_writable_ones_is_used_with_length_0()
    {
        var driver = new MockSplitQueue(Memory, 8);
        var queue = driver.CreateQueue();
        var device = new RngDevice();
        device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [queue], _interrupts, _loop, _ => { }));
        Fill(Buffers, new byte[64]);

        driver.AddChain((Buffers, 64, false));
        device.QueueNotify(0);

        Assert.Equal(0u, driver.UsedElement(0).Len);
        Assert.All(Bytes(Buffers, 64), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("", 1)]
    [InlineData("on", 1)]
    [InlineData("off", 0)]
    public void The_option_is_a_flag(string? value, int devices)
    {
        var values = new DeviceOptionValues(value is null ? new Dictionary<string, string[]>() : new() { ["--rng"] = [value] });
        Assert.Equal(devices, new RngFeature().Create(values).Count);
    }

    [Fact]
    public void Any_other_value_is_a_config_error()
    {
        var values = new DeviceOptionValues(new Dictionary<string, string[]> { ["--rng"] = ["yes please"] });
        Assert.Throws<DeviceConfigException>(() => new RngFeature().Create(values));
    }
}
