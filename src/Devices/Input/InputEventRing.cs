namespace Glue.Devices.Input;

/// <summary>
/// Events waiting for the guest's buffers, bounded: a report (its events and their EV_SYN) goes in whole or, when
/// the guest has taken nothing for <see cref="Capacity"/> events, is dropped whole, so the guest never sees half
/// of one. Written by display clients' threads, read by the device's I/O thread.
/// </summary>
internal sealed class InputEventRing
{
    public const int Capacity = 1024;

    private readonly VirtioInputEvent[] _events = new VirtioInputEvent[Capacity];
    private readonly object _gate = new();
    private int _head, _count;

    /// <summary>Reports dropped because the ring was full.</summary>
    public long DroppedReports { get; private set; }

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    public bool TryAddReport(ReadOnlySpan<VirtioInputEvent> report)
    {
        lock (_gate)
        {
            if (report.Length > Capacity - _count)
            {
                DroppedReports++;
                return false;
            }
            foreach (var e in report) _events[(_head + _count++) % Capacity] = e;
            return true;
        }
    }

    public bool TryPeek(out VirtioInputEvent e)
    {
        lock (_gate)
        {
            e = _count > 0 ? _events[_head] : default;
            return _count > 0;
        }
    }

    public void RemoveFirst()
    {
        lock (_gate)
        {
            if (_count == 0) return;
            _head = (_head + 1) % Capacity;
            _count--;
        }
    }

    public void Clear()
    {
        lock (_gate) _head = _count = 0;
    }
}
