using System.Buffers;
using Glue.Core.Interop;
using static Glue.Devices.Block.Qcow2.ClusterMap;

namespace Glue.Devices.Block.Qcow2;

/// <summary>From guest offsets to extents: reads, and writes in place or to newly allocated clusters.</summary>
public sealed partial class Qcow2Image
{
    /// <summary>
    /// Under the lock: the longest run from <paramref name="guest"/> (at most <paramref name="bytes"/>) served one
    /// way. <paramref name="cachedOnly"/>: -EAGAIN where an L2 table would have to be read from the file.
    /// </summary>
    private int MapForRead(long guest, long bytes, out Extent extent, bool cachedOnly = false)
    {
        extent = default;
        int error = Classify(guest, out var kind, out long host, cachedOnly);
        if (error != 0) return error;
        long run = Math.Min(_clusterMask + 1 - (guest & _clusterMask), bytes);
        while (run < bytes && kind is not ExtentKind.Compressed)
        {
            if ((error = Classify(guest + run, out var next, out long nextHost, cachedOnly)) != 0) return error;
            if (next != kind || (kind == ExtentKind.Data && nextHost != host + run)) break;
            run += Math.Min(_clusterMask + 1, bytes - run);
        }
        extent = new Extent(kind, host, run);
        return 0;
    }

    /// <summary>How the guest byte at <paramref name="guest"/> is read; for Data, its host offset; for Compressed, the L2 entry.</summary>
    private int Classify(long guest, out ExtentKind kind, out long host, bool cachedOnly)
    {
        kind = ExtentKind.Zero;
        host = 0;
        ulong entry;
        if (cachedOnly)
        {
            if (!_map.TryGetCached(guest >> _clusterBits, out entry)) return -Libc.EAGAIN;
        }
        else if (_map.Get(guest >> _clusterBits, out entry) is var error and not 0)
        {
            return error;
        }
        if ((entry & QCOW_OFLAG_COMPRESSED) != 0)
        {
            kind = ExtentKind.Compressed;
            host = (long)entry;
            return 0;
        }
        long cluster = (long)(entry & OffsetMask);
        if (_header.Version >= 3 && (entry & QCOW_OFLAG_ZERO) != 0) return 0;
        if (cluster == 0)
        {
            if (_backing is not null) kind = ExtentKind.Backing;
            return 0;
        }
        if ((cluster & _clusterMask) != 0 || !InsideFile(cluster)) return -EIO;
        kind = ExtentKind.Data;
        host = cluster + (guest & _clusterMask);
        return 0;
    }

    /// <summary>The backing file's bytes; past its end, zeroes.</summary>
    private int ReadBacking(Span<Libc.IoVec> part, long guest, long bytes)
    {
        long inBacking = Math.Clamp(_backing!.Length - guest, 0, bytes);
        if (inBacking < bytes) IoVecs.Zero(IoVecs.Advance(part, (nint)inBacking));
        if (inBacking == 0) return 0;
        Libc.IoVec[]? rented = null;
        Span<Libc.IoVec> head = part.Length <= ScratchBuffers ? stackalloc Libc.IoVec[ScratchBuffers] : (rented = ArrayPool<Libc.IoVec>.Shared.Rent(part.Length));
        try
        {
            return _backing.Read(IoVecs.Slice(part, 0, inBacking, head), guest);
        }
        finally
        {
            if (rented is not null) ArrayPool<Libc.IoVec>.Shared.Return(rented);
        }
    }

    private int ReadCompressed(Span<Libc.IoVec> part, long entry, long guest)
    {
        byte[] cluster = ArrayPool<byte>.Shared.Rent((int)_clusterMask + 1);
        try
        {
            int error = CompressedCluster.Read(_file, (ulong)entry, _clusterBits, cluster.AsSpan(0, (int)_clusterMask + 1));
            if (error == 0) IoVecs.CopyFrom(cluster.AsSpan((int)(guest & _clusterMask)), part);
            return error;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(cluster);
        }
    }

    /// <summary>
    /// Under the lock: a run of clusters the image owns (written in place, outside the lock, as Data), or one
    /// cluster written here (Done): a new cluster holding the old contents (backing file, zeroes, a compressed
    /// or shared cluster) with the guest's bytes over them, then its L2 entry. The old cluster is freed at the
    /// next flush, once no L2 entry on disk points at it.
    /// </summary>
    private int MapForWrite(long guest, long bytes, ReadOnlySpan<Libc.IoVec> buffers, long done, Span<Libc.IoVec> scratch, out Extent extent)
    {
        extent = default;
        if (_broken) return -EIO;
        long guestCluster = guest >> _clusterBits;
        int error = _map.Get(guestCluster, out ulong entry);
        if (error != 0) return error;
        long run = Math.Min(_clusterMask + 1 - (guest & _clusterMask), bytes);
        long host = OwnedCluster(entry);
        if (host >= 0)
        {
            long guestBase = guest & ~_clusterMask;
            while (run < bytes)
            {
                long next = guest + run;   // a cluster boundary
                if ((error = _map.Get(next >> _clusterBits, out ulong nextEntry)) != 0) return error;
                if (OwnedCluster(nextEntry) != host + (next - guestBase)) break;
                run += Math.Min(_clusterMask + 1, bytes - run);
            }
            extent = new Extent(ExtentKind.Data, host + (guest & _clusterMask), run);
            return 0;
        }
        if ((error = CopyUp(guestCluster, entry, (int)(guest & _clusterMask), IoVecs.Slice(buffers, done, run, scratch))) != 0) return error;
        extent = new Extent(ExtentKind.Done, 0, run);
        return 0;
    }

    /// <summary>The host cluster of an entry written in place (a normal cluster with refcount 1: COPIED); -1 otherwise.</summary>
    private long OwnedCluster(ulong entry)
    {
        if ((entry & (QCOW_OFLAG_COPIED | QCOW_OFLAG_COMPRESSED)) != QCOW_OFLAG_COPIED) return -1;
        if (_header.Version >= 3 && (entry & QCOW_OFLAG_ZERO) != 0) return -1;
        long cluster = (long)(entry & OffsetMask);
        if (cluster == 0 || (cluster & _clusterMask) != 0 || _metadata.Contains(cluster >> _clusterBits) || !InsideFile(cluster)) return -1;
        return cluster;
    }

    /// <summary>
    /// Whether a data cluster starts inside the file: a hostile L2 entry may point anywhere, and a write there would
    /// grow the file to that offset. The length is looked up again only when the one known falls short (the file
    /// grows as clusters are allocated). Under the lock.
    /// </summary>
    private bool InsideFile(long cluster)
    {
        if (cluster < _fileEnd) return true;
        _fileEnd = _file.Length;
        return cluster < _fileEnd;
    }

    private int CopyUp(long guestCluster, ulong entry, int at, ReadOnlySpan<Libc.IoVec> data)
    {
        int clusterBytes = (int)_clusterMask + 1;
        long length = IoVecs.Length(data);
        if ((entry & (QCOW_OFLAG_COPIED | QCOW_OFLAG_COMPRESSED)) == QCOW_OFLAG_COPIED && (_header.Version < 3 || (entry & QCOW_OFLAG_ZERO) == 0)
            && (long)(entry & OffsetMask) is long owned and > 0 && _metadata.Contains(owned >> _clusterBits))
            return MarkCorrupt();   // an L2 entry pointing into metadata
        byte[] cluster = ArrayPool<byte>.Shared.Rent(clusterBytes);
        try
        {
            var content = cluster.AsSpan(0, clusterBytes);
            int error = length == clusterBytes ? 0 : ReadCluster(guestCluster, entry, content);
            if (error != 0) return error;
            IoVecs.CopyTo(data, content[at..]);
            long host = _refcounts.Allocate();
            if (host < 0) return (int)host;
            if ((error = _file.Write(content, host)) != 0) return error;
            if ((error = _map.Set(guestCluster, (ulong)host | QCOW_OFLAG_COPIED, _refcounts)) != 0) return error;
            FreeLater(entry);
            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(cluster);
        }
    }

    /// <summary>A whole guest cluster as the guest reads it now, from any kind of entry.</summary>
    private unsafe int ReadCluster(long guestCluster, ulong entry, Span<byte> content)
    {
        if ((entry & QCOW_OFLAG_COMPRESSED) != 0) return CompressedCluster.Read(_file, entry, _clusterBits, content);
        long host = (long)(entry & OffsetMask);
        if (_header.Version >= 3 && (entry & QCOW_OFLAG_ZERO) != 0 || (host == 0 && _backing is null))
        {
            content.Clear();
            return 0;
        }
        if (host != 0) return (host & _clusterMask) != 0 || !InsideFile(host) ? -EIO : _file.Read(content, host);
        fixed (byte* p = content)
        {
            Span<Libc.IoVec> one = [new Libc.IoVec { iov_base = p, iov_len = (nuint)content.Length }];
            return ReadBacking(one, guestCluster << _clusterBits, content.Length);
        }
    }

    /// <summary>Remembers the host clusters an L2 entry held, to release at the next flush.</summary>
    private void FreeLater(ulong entry)
    {
        if ((entry & QCOW_OFLAG_COMPRESSED) != 0 || (entry & OffsetMask) != 0) _freed.Add(entry);
    }

    /// <summary>
    /// Sets the corrupt bit (v3), as QEMU does when metadata points into metadata, and refuses further writes:
    /// writing on would damage the image more. -EIO for the request.
    /// </summary>
    private int MarkCorrupt()
    {
        if (!_broken && _header.Version >= 3 && WriteIncompatibleFeatures(_header.IncompatibleFeatures | Qcow2Header.QCOW2_INCOMPAT_CORRUPT) == 0) _file.Sync();
        _broken = true;
        return -EIO;
    }
}
