using Glue.Core.Interop;
using static Glue.Devices.Block.Qcow2.ClusterMap;

namespace Glue.Devices.Block.Qcow2;

/// <summary>Discard, write-zeroes and flush: the requests that change the map without carrying data.</summary>
public sealed partial class Qcow2Image
{
    /// <summary>
    /// Whole clusters in the range become unallocated (reads: the zeroes of an image without a backing file) or,
    /// in v3 with a backing file, zero clusters (so the backing file does not show through); partial clusters
    /// keep their bytes. Version 2 with a backing file has no way to say "zeroes" without writing them, so there a
    /// discard does nothing.
    /// </summary>
    public int Discard(long offset, long length)
    {
        if (ReadOnly) return -EROFS;
        if (!Inside(offset, length)) return -EIO;
        if (_backing is not null && _header.Version < 3) return 0;
        ulong target = _backing is null ? 0 : QCOW_OFLAG_ZERO;
        return SetWholeClusters(offset, length, target);
    }

    /// <summary>
    /// v3: whole clusters become zero clusters, their space freed (unmap or not: reads are the same); v2 leaves an
    /// unallocated cluster of an image without a backing file alone and writes zeroes into the rest. Partial
    /// clusters at either end are written with zeroes.
    /// </summary>
    public int WriteZeroes(long offset, long length, bool unmap)
    {
        if (ReadOnly) return -EROFS;
        if (!Inside(offset, length)) return -EIO;
        long first = (offset + _clusterMask) & ~_clusterMask, end = (offset + length) & ~_clusterMask;
        if (first >= end) return WriteZeroBytes(offset, length);
        int error = WriteZeroBytes(offset, first - offset);
        if (error == 0) error = WriteZeroBytes(end, offset + length - end);
        if (error != 0) return error;
        if (_header.Version >= 3) return SetWholeClusters(first, end - first, QCOW_OFLAG_ZERO);
        for (long at = first; at < end; at += _clusterMask + 1)
        {
            ulong entry;
            lock (_lock) error = _map.Get(at >> _clusterBits, out entry);
            if (error == 0 && (entry != 0 || _backing is not null)) error = WriteZeroBytes(at, _clusterMask + 1);
            if (error != 0) return error;
        }
        return 0;
    }

    private unsafe int WriteZeroBytes(long offset, long length)
    {
        fixed (byte* zeroes = _zeroes)
        {
            for (long done = 0; done < length;)
            {
                long bytes = Math.Min(length - done, _zeroes.Length);
                Span<Libc.IoVec> one = [new Libc.IoVec { iov_base = zeroes, iov_len = (nuint)bytes }];
                int error = Write(one, offset + done);
                if (error != 0) return error;
                done += bytes;
            }
        }
        return 0;
    }

    /// <summary>Sets the L2 entry of every whole cluster in the range to <paramref name="target"/>, freeing what each held at the next flush.</summary>
    private int SetWholeClusters(long offset, long length, ulong target)
    {
        long first = (offset + _clusterMask) >> _clusterBits, end = (offset + length) >> _clusterBits;
        long tableClusters = 1L << (_clusterBits - 3);
        lock (_lock)
        {
            if (_broken) return -EIO;
            for (long cluster = first; cluster < end; cluster++)
            {
                if (target == 0 && _map.NoTable(cluster))
                {
                    cluster |= tableClusters - 1;   // nothing to unmap up to the end of this L2 table's range
                    continue;
                }
                int error = _map.Get(cluster, out ulong entry);
                if (error == 0 && entry != target) error = _map.Set(cluster, target, _refcounts);
                if (error != 0) return error;
                if (entry != target) FreeLater(entry);
            }
        }
        return 0;
    }

    /// <summary>
    /// Makes every completed write durable: refcount blocks, sync, L2 tables, sync, L1 entries, sync (each sync
    /// only where something was written). Then the clusters freed since the last flush, whose L2 entries no
    /// longer point at them on disk, get their refcounts lowered, and those are synced too.
    /// </summary>
    public int Flush()
    {
        if (ReadOnly) return 0;
        int error;
        lock (_lock)
        {
            error = WriteMetadata();
            if (error != 0 || _freed.Count == 0) return error;
            (_freed, _releasing) = (_releasing, _freed);
        }
        _gate.EnterWriteLock();
        try
        {
            lock (_lock)
            {
                foreach (ulong entry in _releasing) Release(entry);
                _releasing.Clear();
                return WriteMetadata();
            }
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    private int WriteMetadata()
    {
        int error = _map.WriteBack();
        if (error == 0) error = _refcounts.WriteBack();
        if (error == 0) error = _file.Sync();
        return error;
    }

    /// <summary>The L2 cache's dependency: refcounts written, then everything synced, before an L2 table is written.</summary>
    private int WriteRefcountsAndSync()
    {
        int error = _refcounts.WriteBack();
        return error != 0 ? error : _file.Sync();
    }

    /// <summary>Lowers the refcount of every host cluster an old L2 entry held (a compressed one may span two). A count already 0 is left: a damaged image leaks rather than fails.</summary>
    private void Release(ulong entry)
    {
        if ((entry & QCOW_OFLAG_COMPRESSED) != 0)
        {
            var (offset, bytes) = CompressedCluster.Extent(entry, _clusterBits);
            for (long cluster = offset >> _clusterBits; cluster <= (offset + bytes - 1) >> _clusterBits; cluster++) _refcounts.Change(cluster, -1);
            return;
        }
        long host = (long)(entry & OffsetMask) >> _clusterBits;
        if (!_metadata.Contains(host)) _refcounts.Change(host, -1);
    }
}
