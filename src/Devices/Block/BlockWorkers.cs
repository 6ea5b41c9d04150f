namespace Glue.Devices.Block;

/// <summary>
/// The threads that serve a disk's requests, so that many are in flight at once and finish in any order: the I/O
/// thread pops chains and submits them here; a worker serves one (a preadv, a pwritev, an fdatasync...) and
/// completes it on its own thread. A pool rather than io_uring because <see cref="IDiskImage"/> is synchronous: a
/// qcow2 image looks its clusters up between the guest's request and the file's, and a pool serves both formats
/// alike. Submitting and waiting allocate nothing: a ring of requests under one lock, idle workers woken one each.
/// </summary>
internal sealed class BlockWorkers : IDisposable
{
    private readonly object _gate = new();
    private readonly BlockRequest?[] _ring;
    private readonly Thread[] _threads;
    private readonly Action<BlockRequest> _serve;
    private int _head;
    private int _count;
    private int _idle;
    private bool _stopping;

    /// <param name="capacity">The most requests that can be submitted and not yet taken: every request of every queue.</param>
    public BlockWorkers(string name, int count, int capacity, Action<BlockRequest> serve)
    {
        _ring = new BlockRequest?[capacity];
        _serve = serve;
        _threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { Name = $"{name}-{i}", IsBackground = true };
            _threads[i].Start();
        }
    }

    /// <summary>The default pool: two threads per host CPU, at least 4 and at most 16, per disk.</summary>
    public static int DefaultCount => Math.Clamp(2 * Environment.ProcessorCount, 4, 16);

    public int Count => _threads.Length;

    public void Submit(BlockRequest request)
    {
        lock (_gate)
        {
            _ring[(_head + _count) % _ring.Length] = request;
            _count++;
            if (_idle > 0) Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        Core.Sandbox.SeccompFilters.Enter(Core.Sandbox.ThreadKind.DeviceIo);
        while (true)
        {
            BlockRequest request;
            lock (_gate)
            {
                while (_count == 0)
                {
                    if (_stopping) return;
                    _idle++;
                    Monitor.Wait(_gate);
                    _idle--;
                }
                request = _ring[_head]!;
                _ring[_head] = null;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
            _serve(request);
        }
    }

    /// <summary>Serves what was submitted, then ends the threads.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var thread in _threads) thread.Join();
    }
}
