using Glue.Core.Interop;
using static Glue.Devices.Fs.Fuse.FuseConstants;
using static Glue.Devices.Fs.Host.HostCalls;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// The node ids the guest holds (FUSE's inodes): each names an O_PATH fd opened beneath the share's root, so a node
/// stays the same file whatever is renamed around it, and nothing is ever resolved by path again. A host file
/// looked up twice is one node with two lookups; FORGET gives lookups back and the last closes the fd. An id the
/// table does not hold (never given, or forgotten) is refused with EBADF by the caller.
/// </summary>
internal sealed class NodeTable
{
    private readonly object _gate = new();
    private readonly Dictionary<ulong, HostNode> _byId = [];
    private readonly Dictionary<(ulong Device, ulong Inode), HostNode> _byInode = [];
    private readonly FdBudget _budget;
    private readonly HostNode _root;
    private ulong _nextId = FUSE_ROOT_ID + 1;

    /// <param name="root">The share's root, O_PATH; the table owns it.</param>
    public NodeTable(SafeFd root, in Stat status, FdBudget budget)
    {
        _budget = budget;
        _root = new HostNode(FUSE_ROOT_ID, root, status.st_dev, status.st_ino, status.st_mode & S_IFMT);
        _byId.Add(FUSE_ROOT_ID, _root);
    }

    /// <summary>Nodes held besides the root.</summary>
    public int Count
    {
        get { lock (_gate) return _byId.Count - 1; }
    }

    /// <summary>The node's fd, leased for one request, and its file type (S_IFMT bits); false for an id not held.</summary>
    public bool TryGet(ulong id, out FdLease lease, out uint kind)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var node))
            {
                lease = new FdLease(node.Fd);
                kind = node.Kind;
                return true;
            }
        }
        lease = default;
        kind = 0;
        return false;
    }

    /// <summary>
    /// Counts one lookup of the file <paramref name="fd"/> (O_PATH, just opened) names and returns its node id: the
    /// node it already has (<paramref name="fd"/> is closed) or a new one owning <paramref name="fd"/>. 0 with
    /// EMFILE when a new node would pass the share's fd limit (<paramref name="fd"/> is closed).
    /// </summary>
    public ulong Remember(SafeFd fd, in Stat status, out int errno)
    {
        errno = 0;
        lock (_gate)
        {
            if (_byInode.TryGetValue((status.st_dev, status.st_ino), out var known))
            {
                if (known != _root) known.Lookups++;
                fd.Dispose();
                return known.Id;
            }
            if (!_budget.TryTake())
            {
                fd.Dispose();
                errno = Errno.EMFILE;
                return 0;
            }
            var node = new HostNode(_nextId++, fd, status.st_dev, status.st_ino, status.st_mode & S_IFMT) { Lookups = 1 };
            _byId.Add(node.Id, node);
            _byInode.Add((node.Device, node.Inode), node);
            return node.Id;
        }
    }

    /// <summary>FORGET: <paramref name="lookups"/> of the node's lookups given back; at none left it is dropped. Unknown ids and the root are ignored.</summary>
    public void Forget(ulong id, ulong lookups)
    {
        lock (_gate)
        {
            if (id == FUSE_ROOT_ID || !_byId.TryGetValue(id, out var node)) return;
            node.Lookups = lookups >= node.Lookups ? 0 : node.Lookups - lookups;
            if (node.Lookups == 0) Drop(node);
        }
    }

    /// <summary>DESTROY or a device reset: every node but the root is dropped, and ids start over (the guest holds none).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var node in _byId.Values.Where(node => node != _root).ToList()) Drop(node);
            _nextId = FUSE_ROOT_ID + 1;
        }
    }

    /// <summary>Closes every fd, the root's too: the share is done with.</summary>
    public void Close()
    {
        Clear();
        _root.Fd.Dispose();
    }

    private void Drop(HostNode node)
    {
        _byId.Remove(node.Id);
        _byInode.Remove((node.Device, node.Inode));
        node.Fd.Dispose();   // closed now, or when the last request holding a lease on it ends
        _budget.Return();
    }

    private sealed class HostNode(ulong id, SafeFd fd, ulong device, ulong inode, uint kind)
    {
        public ulong Id { get; } = id;
        public SafeFd Fd { get; } = fd;
        public ulong Device { get; } = device;
        public ulong Inode { get; } = inode;
        public uint Kind { get; } = kind;
        public ulong Lookups { get; set; }
    }
}
