using System.Diagnostics;
using Glue.Core.Bus;
using Xunit;

namespace Glue.Tests.Core;

public sealed class AddressBusTests
{
    private sealed class RecordingDevice(byte fill) : IBusDevice
    {
        public readonly List<(ulong Offset, byte[] Data)> Writes = [];
        public readonly List<ulong> Reads = [];

        public void Read(ulong offset, Span<byte> data)
        {
            Reads.Add(offset);
            data.Fill(fill);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, data.ToArray()));
    }

    [Fact]
    public void Accesses_reach_the_owning_device_with_offsets_relative_to_its_range()
    {
        var bus = new AddressBus("test");
        var low = new RecordingDevice(0x11);
        var high = new RecordingDevice(0x22);
        bus.Register(0x3f8, 8, high);
        bus.Register(0x60, 1, low);

        bus.Write(0x3fb, [0x80]);
        Span<byte> data = stackalloc byte[2];
        bus.Read(0x60, data);

        Assert.Equal([(3UL, new byte[] { 0x80 })], high.Writes.Select(w => (w.Offset, w.Data)));
        Assert.Equal([0UL], low.Reads);
        Assert.Equal([0x11, 0x11], data.ToArray());
    }

    [Fact]
    public void Unclaimed_reads_are_all_ones_and_unclaimed_writes_vanish()
    {
        var bus = new AddressBus("test");
        var device = new RecordingDevice(0);
        bus.Register(0x100, 0x10, device);
        Span<byte> data = stackalloc byte[4];
        bus.Read(0x110, data);
        bus.Write(0xff, [1]);
        Assert.Equal([0xff, 0xff, 0xff, 0xff], data.ToArray());
        Assert.Empty(device.Writes);
        Assert.Empty(device.Reads);
    }

    [Fact]
    public void Many_ranges_are_each_found()
    {
        var bus = new AddressBus("test");
        var devices = Enumerable.Range(0, 64).Select(i => new RecordingDevice((byte)i)).ToArray();
        // Register out of order: the bus keeps them sorted.
        foreach (int i in Enumerable.Range(0, 64).Reverse()) bus.Register(0x1000UL * (ulong)i, 0x100, devices[i]);
        Span<byte> data = stackalloc byte[1];
        for (int i = 0; i < 64; i++)
        {
            bus.Read(0x1000UL * (ulong)i + 0xff, data);
            Assert.Equal((byte)i, data[0]);
        }
    }

    [Theory]
    [InlineData(0x100UL, 0x10UL)]
    [InlineData(0xf8UL, 0x10UL)]
    [InlineData(0x10fUL, 1UL)]
    [InlineData(0x0UL, 0x1000UL)]
    public void Overlapping_ranges_are_refused(ulong start, ulong length)
    {
        var bus = new AddressBus("test");
        bus.Register(0x100, 0x10, new RecordingDevice(0));
        Assert.Throws<InvalidOperationException>(() => bus.Register(start, length, new RecordingDevice(1)));
    }

    [Fact]
    public void Empty_and_wrapping_ranges_are_refused()
    {
        var bus = new AddressBus("test");
        Assert.Throws<ArgumentException>(() => bus.Register(0x10, 0, new RecordingDevice(0)));
        Assert.Throws<ArgumentException>(() => bus.Register(ulong.MaxValue, 2, new RecordingDevice(0)));
    }

    /// <summary>Answers every read with one byte, from any thread.</summary>
    private sealed class FilledDevice(byte fill) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => data.Fill(fill);

        public void Write(ulong offset, ReadOnlySpan<byte> data) { }
    }

    [Fact]
    public void A_range_moved_by_one_vcpu_never_misdirects_another_vcpus_access_to_a_range_that_stays()
    {
        // As a guest moving a BAR (PciBus: unregister, then register elsewhere) on one vCPU while another reads a
        // device that stays put: the moving range goes from below the staying one to above it and back, with a
        // moment off the bus between, so the staying range's index in the array changes with every move.
        var bus = new AddressBus("test");
        var staying = new FilledDevice(0xaa);
        var moving = new FilledDevice(0xbb);
        bus.Register(0x2000, 0x100, staying);
        bus.Register(0x1000, 0x100, moving);

        using var done = new CancellationTokenSource();
        long moves = 0;
        var mover = new Thread(() =>
        {
            while (!done.IsCancellationRequested)
            {
                bus.Unregister(0x1000, moving);
                bus.TryRegister(0x3000, 0x100, moving);
                bus.Unregister(0x3000, moving);
                bus.TryRegister(0x1000, 0x100, moving);
                moves++;
            }
        });
        mover.Start();
        try
        {
            Span<byte> data = stackalloc byte[1];
            var clock = Stopwatch.StartNew();
            for (long reads = 0; clock.Elapsed < TimeSpan.FromSeconds(2) && reads < 20_000_000; reads++)
            {
                bus.Read(0x2080, data);
                Assert.Equal(0xaa, data[0]);
            }
        }
        finally
        {
            done.Cancel();
            mover.Join();
        }
        Assert.True(moves > 0);
    }
}
