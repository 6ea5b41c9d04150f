using System.Runtime.CompilerServices;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using Xunit;

namespace Glue.Tests.Virtio;

public sealed class EventLoopTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly EventLoop _loop = new("loop-test");
    private readonly EventFd _fd = new();

    public void Dispose()
    {
        _loop.Dispose();
        _fd.Dispose();
    }

    [Fact]
    public void An_eventfd_signal_runs_its_callback_on_the_loop_thread()
    {
        using var ran = new ManualResetEventSlim();
        bool onLoop = false;
        using var registration = _loop.Register(_fd.Handle, () =>
        {
            onLoop = _loop.IsOnLoopThread;
            _fd.Drain();
            ran.Set();
        });

        _fd.Signal();

        Assert.True(ran.Wait(Timeout));
        Assert.True(onLoop);
        Assert.False(_loop.IsOnLoopThread);
    }

    [Fact]
    public void Dispatching_an_event_allocates_nothing_on_the_loop_thread()
    {
        var allocated = new long[50];
        int calls = 0;
        using var handled = new SemaphoreSlim(0);
        using var registration = _loop.Register(_fd.Handle, () =>
        {
            _fd.Drain();
            allocated[calls++] = GC.GetAllocatedBytesForCurrentThread();
            handled.Release();
        });

        for (int i = 0; i < allocated.Length; i++)
        {
            _fd.Signal();
            Assert.True(handled.Wait(Timeout));
        }

        Assert.Equal(allocated[10], allocated[^1]);   // after the first rounds have run the code once
    }

    [Fact]
    public void An_unregistered_fd_no_longer_runs_its_callback()
    {
        int calls = 0;
        var registration = _loop.Register(_fd.Handle, () => { calls++; _fd.Drain(); });
        _loop.Invoke(registration.Dispose);
        _fd.Signal();
        _loop.Invoke(() => { });   // the loop has gone round since the signal
        Assert.Equal(0, calls);
        registration.Dispose();    // twice is harmless
    }

    [Fact]
    public void Invoke_runs_on_the_loop_thread_and_rethrows_what_the_action_threw()
    {
        bool onLoop = false;
        _loop.Invoke(() => onLoop = _loop.IsOnLoopThread);
        Assert.True(onLoop);
        var e = Assert.Throws<InvalidOperationException>(() => _loop.Invoke(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
        _loop.Invoke(() => { });   // the loop survived
    }

    [Fact]
    public void Stop_returns_once_the_thread_has_ended()
    {
        Assert.True(_loop.IsRunning);
        _loop.Stop();
        Assert.False(_loop.IsRunning);
        Assert.Throws<InvalidOperationException>(() => _loop.Invoke(() => { }));
        _loop.Stop();   // twice is harmless
    }

    [Fact]
    public void Stop_from_a_callback_ends_the_loop_after_that_callback()
    {
        using var registration = _loop.Register(_fd.Handle, _loop.Stop);
        _fd.Signal();
        Assert.True(SpinWait.SpinUntil(() => !_loop.IsRunning, Timeout));
    }

    [Fact]
    public void Drain_returns_the_signals_since_the_last_drain()
    {
        _fd.Signal();
        _fd.Signal();
        _fd.Signal();
        Assert.Equal(3UL, _fd.Drain());
        Assert.Equal(0UL, _fd.Drain());
    }

    [Fact]
    public void The_native_structs_have_the_kernel_layout()
    {
        Assert.Equal(12, Unsafe.SizeOf<EventLibc.epoll_event>());   // packed on x86-64
        Assert.Equal(16, Unsafe.SizeOf<VirtqDesc>());
    }
}
