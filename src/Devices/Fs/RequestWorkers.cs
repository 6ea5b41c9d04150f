namespace Glue.Devices.Fs;

/// <summary>
/// The threads that serve a virtio-fs device's requests, several at once: a request waiting on the host's disk holds
/// up only its own thread. The device hands over a request; a worker serves it and hands it back through the
/// callback it was made with. Nothing is allocated per request: the queue's capacity is the device's slot count.
/// </summary>
internal sealed class RequestWorkers : IDisposable
{
    private readonly Queue<VirtioFuseRequest> _waiting;
    private readonly Action<VirtioFuseRequest> _serve;
    private readonly Thread[] _threads;
    private bool _stopping;

    public RequestWorkers(string name, int threads, int capacity, Action<VirtioFuseRequest> serve)
    {
        _waiting = new Queue<VirtioFuseRequest>(capacity);
        _serve = serve;
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { Name = $"{name}-{i}", IsBackground = true };
            _threads[i].Start();
        }
    }

    public void Post(VirtioFuseRequest request)
    {
        lock (_waiting)
        {
            _waiting.Enqueue(request);
            Monitor.Pulse(_waiting);
        }
    }

    private void Run()
    {
        Core.Sandbox.SeccompFilters.Enter(Core.Sandbox.ThreadKind.FileServer);
        while (true)
        {
            VirtioFuseRequest request;
            lock (_waiting)
            {
                while (_waiting.Count == 0 && !_stopping) Monitor.Wait(_waiting);
                if (_stopping) return;
                request = _waiting.Dequeue();
            }
            _serve(request);
        }
    }

    /// <summary>Ends the threads once each has finished the request it is serving; requests still waiting are dropped.</summary>
    public void Dispose()
    {
        lock (_waiting)
        {
            _stopping = true;
            Monitor.PulseAll(_waiting);
        }
        foreach (var thread in _threads) thread.Join();
    }
}
