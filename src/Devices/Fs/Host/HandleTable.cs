using Glue.Core.Interop;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// The guest's open files and directories (FUSE's fh): each a real fd, opened from a node's O_PATH fd. A handle the
/// table does not hold is refused with EBADF by the caller; RELEASE and RELEASEDIR close it.
/// </summary>
internal sealed class HandleTable(FdBudget budget)
{
    private readonly object _gate = new();
    private readonly Dictionary<ulong, OpenFile> _open = [];
    private ulong _next = 1;

    public int Count
    {
        get { lock (_gate) return _open.Count; }
    }

    /// <summary>Counts one more fd against the share's limit before it is opened; false past it (EMFILE).</summary>
    public bool TryReserve() => budget.TryTake();

    /// <summary>Gives back a reservation whose open failed.</summary>
    public void Unreserve() => budget.Return();

    /// <summary>Holds <paramref name="fd"/> (opened under a reservation) and returns its handle.</summary>
    public ulong Add(SafeFd fd, bool directory)
    {
        lock (_gate)
        {
            ulong fh = _next++;
            _open.Add(fh, new OpenFile(fd, directory));
            return fh;
        }
    }

    /// <summary>The handle's fd, leased for one request; false when the table does not hold it or it is not of the asked kind.</summary>
    public bool TryGet(ulong fh, bool directory, out FdLease lease)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(fh, out var file) && file.Directory == directory)
            {
                lease = new FdLease(file.Fd);
                return true;
            }
        }
        lease = default;
        return false;
    }

    /// <summary>RELEASE / RELEASEDIR: false for a handle the table does not hold.</summary>
    public bool Remove(ulong fh, bool directory)
    {
        lock (_gate)
        {
            if (!_open.TryGetValue(fh, out var file) || file.Directory != directory) return false;
            _open.Remove(fh);
            Close(file);
            return true;
        }
    }

    /// <summary>DESTROY or a device reset: every handle closes, and handles start over (the guest holds none).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var file in _open.Values) Close(file);
            _open.Clear();
            _next = 1;
        }
    }

    private void Close(OpenFile file)
    {
        file.Fd.Dispose();
        budget.Return();
    }

    private sealed record OpenFile(SafeFd Fd, bool Directory);
}
