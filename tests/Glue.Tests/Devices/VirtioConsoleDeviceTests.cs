using System.Diagnostics;
using Glue.Devices.VirtioConsole;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;

namespace Glue.Tests.Devices;

public sealed class VirtioConsoleDeviceTests : VirtioTestBase
{
    private readonly EventLoop _loop = new("console-test");
    private readonly MemoryStream _output = new();
    private readonly VirtioConsoleDevice _device;
    private readonly MockSplitQueue _rx, _tx;

    public VirtioConsoleDeviceTests()
    {
        _device = new VirtioConsoleDevice(_output);
        _rx = new MockSplitQueue(Memory, 8, 0x1000);
        _tx = new MockSplitQueue(Memory, 8, 0x10000);
    }

    private void Activate() =>
        _loop.Invoke(() => _device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, [_rx.CreateQueue(), _tx.CreateQueue()],
            new FakeInterrupts(), _loop, reason => throw new InvalidOperationException(reason))));

    public override void Dispose()
    {
        _loop.Dispose();
        _device.Dispose();
        base.Dispose();
    }

    [Fact]
    public void Input_before_the_driver_is_ready_waits_for_receive_buffers()
    {
        _device.Receive("early "u8);
        Activate();
        _device.Receive("bytes"u8);
        Thread.Sleep(50);
        Assert.Equal(0, _rx.UsedIdx); // no buffers yet: held, not lost

        _rx.AddChain((Buffers, 4, true));
        _rx.AddChain((Buffers + 0x100, 64, true));
        _loop.Invoke(() => _device.QueueNotify(VirtioConsoleDevice.ReceiveQueue));

        WaitFor(() => _rx.UsedIdx == 2);
        Assert.Equal((0u, 4u), _rx.UsedElement(0));
        Assert.Equal((1u, 7u), _rx.UsedElement(1));
        Assert.Equal("early bytes"u8.ToArray(), Bytes(Buffers, 4).Concat(Bytes(Buffers + 0x100, 7)).ToArray());
    }

    [Fact]
    public void Input_beyond_the_bound_is_dropped_not_buffered()
    {
        _device.Receive(new byte[VirtioConsoleDevice.InputCapacity + 100]);
        Assert.Equal(100, _device.DroppedInput);
    }

    [Fact]
    public void Transmitted_bytes_go_to_the_output_in_order()
    {
        Activate();
        Fill(Buffers, "hello, "u8.ToArray());
        Fill(Buffers + 0x100, "world"u8.ToArray());
        _tx.AddChain((Buffers, 7, false), (Buffers + 0x100, 5, false));
        _loop.Invoke(() => _device.QueueNotify(VirtioConsoleDevice.TransmitQueue));
        Assert.Equal((0u, 0u), _tx.UsedElement(0));
        Assert.Equal("hello, world"u8.ToArray(), _output.ToArray());
    }

    private static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5)) throw new TimeoutException();
            Thread.Sleep(1);
        }
    }
}
