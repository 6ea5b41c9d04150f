using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Devices.Net;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;

namespace Glue.Tests.Devices.Net;

/// <summary>The device's config space, and frames both ways between guest buffers and a socket pair standing in for the TAP.</summary>
public sealed partial class VirtioNetDeviceTests : VirtioTestBase
{
    private const ushort Size = 16;
    private static readonly MacAddress Mac = MacAddress.FromBytes([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]);

    private readonly SocketPairTap _pair = new();
    private readonly EventLoop _loop = new("net-test");
    private readonly VirtioNetDevice _device;
    private readonly MockSplitQueue _rx;
    private readonly MockSplitQueue _tx;
    private readonly FakeInterrupts _interrupts = new();
    private readonly List<string> _errors = [];

    public VirtioNetDeviceTests()
    {
        _device = new VirtioNetDevice(_pair.Tap, Mac);
        _rx = new MockSplitQueue(Memory, Size, 0x1000);
        _tx = new MockSplitQueue(Memory, Size, 0x8000);
    }

    public override void Dispose()
    {
        _loop.Invoke(_device.Reset);
        _loop.Dispose();
        _pair.Dispose();
        base.Dispose();
    }

    private void Activate()
    {
        var queues = new[] { _rx.CreateQueue(), _tx.CreateQueue() };
        var activation = new VirtioActivation(Memory, VirtioFeatures.Core | VirtioNet.Features, queues, _interrupts, _loop, _errors.Add);
        _loop.Invoke(() => _device.Activate(activation));
    }

    private static byte[] Frame(int length, byte seed)
    {
        var frame = new byte[length];
        for (int i = 0; i < length; i++) frame[i] = (byte)(seed + i);
        return frame;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.ElapsedMilliseconds < 5000, $"timed out waiting for {what}");
            Thread.Sleep(1);
        }
    }

    [Fact]
    public void Config_space_has_the_mac_then_link_up()
    {
        Assert.Equal(VirtioIds.VIRTIO_ID_NET, _device.DeviceId);
        Assert.Equal(1UL << 5 | 1UL << 16, _device.Features);
        Assert.Equal([256, 256], _device.QueueMaxSizes);
        Assert.Equal(8, _device.ConfigSize);
        var config = new byte[8];
        _device.ReadConfig(0, config);
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 1, 0 }, config);

        _device.WriteConfig(0, new byte[6]);   // read-only: dropped
        var status = new byte[2];
        _device.ReadConfig(6, status);
        Assert.Equal(new byte[] { 1, 0 }, status);
        _device.ReadConfig(0, config);
        Assert.Equal(0x52, config[0]);
    }

    [Fact]
    public void Received_frame_lands_in_buffers_with_the_devices_header()
    {
        Activate();
        // The header straddles two buffers, and the frame a third.
        _rx.AddChain((Buffers, 8, true), (Buffers + 0x100, 100, true), (Buffers + 0x1000, 2000, true));
        var frame = Frame(1514, 3);
        byte[] kernelHeader = [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee];   // DATA_VALID, and junk where num_buffers goes
        _pair.Host.Send([.. kernelHeader, .. frame]);

        WaitFor(() => _rx.UsedIdx == 1, "the receive buffer to be used");
        Assert.Equal((0u, (uint)(12 + frame.Length)), _rx.UsedElement(0));
        byte[] header = [.. Bytes(Buffers, 8), .. Bytes(Buffers + 0x100, 4)];
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, header);
        Assert.Equal(frame, (byte[])[.. Bytes(Buffers + 0x104, 96), .. Bytes(Buffers + 0x1000, frame.Length - 96)]);
        WaitFor(() => { lock (_interrupts.UsedBuffers) return _interrupts.UsedBuffers.Contains(VirtioNet.ReceiveQueue); }, "the interrupt");
        Assert.Empty(_errors);
    }

    [Fact]
    public void Without_buffers_receive_waits_for_a_kick_and_loses_nothing()
    {
        Activate();
        _pair.Host.Send([.. new byte[12], .. Frame(60, 1)]);
        _pair.Host.Send([.. new byte[12], .. Frame(70, 2)]);
        WaitFor(() => { bool waiting = false; _loop.Invoke(() => waiting = _device.WaitingForReceiveBuffers); return waiting; }, "receive to pause");
        Assert.Equal(0, _rx.UsedIdx);

        _rx.AddChain((Buffers, 2048, true));
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.ReceiveQueue));
        WaitFor(() => _rx.UsedIdx == 1, "the first frame");
        Assert.Equal(72u, _rx.UsedElement(0).Len);
        Assert.Equal(Frame(60, 1), Bytes(Buffers + 12, 60));
        // Out of buffers again: the second frame waits in the socket, and the device asked for a kick (avail_event).
        WaitFor(() => { bool waiting = false; _loop.Invoke(() => waiting = _device.WaitingForReceiveBuffers); return waiting; }, "receive to pause again");
        Assert.Equal(1, _rx.AvailEvent);

        _rx.AddChain((Buffers + 0x1000, 2048, true));
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.ReceiveQueue));
        WaitFor(() => _rx.UsedIdx == 2, "the second frame");
        Assert.Equal(82u, _rx.UsedElement(1).Len);
        Assert.Equal(Frame(70, 2), Bytes(Buffers + 0x1000 + 12, 70));
        Assert.Equal(2, _device.FramesReceived);
        Assert.Equal(0, _device.ReceiveDrops);
    }

    [Fact]
    public void A_buffer_too_small_for_any_frame_comes_back_empty()
    {
        Activate();
        _rx.AddChain((Buffers, 20, true));
        _rx.AddChain((Buffers + 0x1000, 2048, true));
        _pair.Host.Send([.. new byte[12], .. Frame(60, 9)]);

        WaitFor(() => _rx.UsedIdx == 2, "both buffers");
        Assert.Equal((0u, 0u), _rx.UsedElement(0));
        Assert.Equal(72u, _rx.UsedElement(1).Len);
        Assert.Equal(1, _device.ReceiveDrops);
    }

    [Fact]
    public void Transmitted_frame_goes_out_whole()
    {
        Activate();
        var frame = Frame(300, 7);
        Fill(Buffers, [0x01, 0x04, 0x36, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0]);   // offload flags the device never offered
        Fill(Buffers + 0x100, frame[..100]);
        Fill(Buffers + 0x1000, frame[100..]);
        _tx.AddChain((Buffers, 12, false), (Buffers + 0x100, 100, false), (Buffers + 0x1000, 200, false));
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.TransmitQueue));

        var received = new byte[4096];
        int n = _pair.Host.Receive(received);
        Assert.Equal(12 + 300, n);
        Assert.Equal(new byte[12], received[..12]);
        Assert.Equal(frame, received[12..n]);
        Assert.Equal(1, _tx.UsedIdx);
        Assert.Equal((0u, 0u), _tx.UsedElement(0));
        lock (_interrupts.UsedBuffers) Assert.Contains(VirtioNet.TransmitQueue, _interrupts.UsedBuffers);
    }

    [Fact]
    public void Frame_and_header_in_one_buffer_and_a_short_chain_is_dropped()
    {
        Activate();
        var frame = Frame(60, 5);
        Fill(Buffers, [.. new byte[12], .. frame]);
        _tx.AddChain((Buffers + 0x800, 4, false));            // shorter than a header: dropped
        _tx.AddChain((Buffers, 72, false));
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.TransmitQueue));

        var received = new byte[4096];
        int n = _pair.Host.Receive(received);
        Assert.Equal(frame, received[12..n]);
        Assert.Equal(2, _tx.UsedIdx);
        Assert.False(_pair.HostHasFrame(50));
        Assert.Equal(1, _device.TransmitDrops);
        Assert.Equal(1, _device.FramesSent);
    }

    [Fact]
    public void Frames_waiting_for_receive_buffers_wake_the_io_thread_once_each_and_never_keep_it_busy()
    {
        Activate();
        int thread = 0;
        _loop.Invoke(() => thread = GetTid());
        _pair.Host.Send([.. new byte[12], .. Frame(60, 1)]);
        WaitFor(() => { bool waiting = false; _loop.Invoke(() => waiting = _device.WaitingForReceiveBuffers); return waiting; }, "receive to pause");

        // The TAP stays watched with frames unread in it: a loop that kept reporting it would burn the thread's CPU.
        long before = CpuNanoseconds(thread);
        for (int i = 0; i < 5; i++)
        {
            _pair.Host.Send([.. new byte[12], .. Frame(60, (byte)(2 + i))]);
            Thread.Sleep(200);
        }
        long used = CpuNanoseconds(thread) - before;
        Assert.True(used < 30_000_000, $"the I/O thread used {used / 1e6:F1} ms of CPU in a second of waiting");

        // Nothing was lost meanwhile: the kick reads all six frames, in order.
        for (int i = 0; i < 6; i++) _rx.AddChain((Buffers + 0x1000 * (ulong)i, 2048, true));
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.ReceiveQueue));
        WaitFor(() => _rx.UsedIdx == 6, "the six frames");
        for (int i = 0; i < 6; i++) Assert.Equal(Frame(60, (byte)(1 + i)), Bytes(Buffers + 0x1000 * (ulong)i + 12, 60));
    }

    [Fact]
    public void Transmit_that_finds_the_tap_full_goes_on_once_it_drains_while_receive_keeps_watching_it()
    {
        Activate();
        _rx.AddChain((Buffers + 0x60000, 2048, true));
        // Eight 60 kB frames are more than the socket's send buffer holds: transmit meets EAGAIN and waits for room.
        const int Frames = 8, Body = 60000;
        Fill(Buffers + 0x1000, Frame(Body, 0));
        for (int i = 0; i < Frames; i++)
        {
            Fill(Buffers + 0x20 * (ulong)i, [.. new byte[12], (byte)i]);
            _tx.AddChain((Buffers + 0x20 * (ulong)i, 13, false), (Buffers + 0x1000, Body, false));
        }
        _loop.Invoke(() => _device.QueueNotify(VirtioNet.TransmitQueue));

        var received = new byte[65536];
        for (int i = 0; i < Frames; i++)
        {
            Assert.True(_pair.HostHasFrame(30_000), $"frame {i} did not come");
            int n = _pair.Host.Receive(received);
            Assert.Equal(12 + 1 + Body, n);
            Assert.Equal((byte)i, received[12]);
        }
        WaitFor(() => _tx.UsedIdx == Frames, "every transmit chain to be used");
        Assert.Equal(0, _device.TransmitDrops);

        _pair.Host.Send([.. new byte[12], .. Frame(60, 4)]);
        WaitFor(() => _rx.UsedIdx == 1, "a frame received after transmit waited");
        Assert.Equal(Frame(60, 4), Bytes(Buffers + 0x60000 + 12, 60));
        Assert.Empty(_errors);
    }

    /// <summary>The CPU time a thread of this process has had (/proc/PID/task/TID/schedstat: on-CPU nanoseconds first).</summary>
    private static long CpuNanoseconds(int thread) =>
        long.Parse(File.ReadAllText($"/proc/self/task/{thread}/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
