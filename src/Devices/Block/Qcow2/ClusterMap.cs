using System.Buffers.Binary;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The guest-to-host cluster map (qcow2.txt "Cluster mapping"): the active L1 table, held whole in memory, and
/// the L2 tables it points to, through a bounded <see cref="TableCache"/>. Changed L2 tables reach the file
/// after the refcounts of what they map (the cache's <see cref="TableCache.BeforeWrite"/>); an L1 entry that
/// points to a new L2 table is written only after that table is on disk. Guarded by the image's metadata lock.
/// </summary>
internal sealed class ClusterMap
{
    // L1 and L2 entries: bits 9-55 are the host offset; the flags are QEMU's QCOW_OFLAG_* (qcow2.h).
    public const ulong OffsetMask = 0x00ff_ffff_ffff_fe00UL;
    public const ulong QCOW_OFLAG_COPIED = 1UL << 63, QCOW_OFLAG_COMPRESSED = 1UL << 62, QCOW_OFLAG_ZERO = 1UL << 0;
    private const int EIO = 5;

    private readonly HostFile _file;
    private readonly MetadataClusters _metadata;
    private readonly TableCache _l2;
    private readonly ulong[] _l1;
    private readonly bool[] _l1Dirty;
    private readonly long _l1Offset;
    private readonly int _clusterBits;
    private readonly int _l2Bits;   // log2 of the entries in one L2 table
    private int _l1DirtyCount;

    public ClusterMap(HostFile file, Qcow2Header header, MetadataClusters metadata, string path)
    {
        _file = file;
        _metadata = metadata;
        _clusterBits = header.ClusterBits;
        _l2Bits = _clusterBits - 3;
        _l1Offset = header.L1TableOffset;
        _l2 = new TableCache(file, 1 << _clusterBits, Math.Clamp((4 << 20) >> _clusterBits, 16, 4096));
        var bytes = new byte[header.L1Size * 8L];
        if (file.ReadExisting(bytes, _l1Offset) != 0) throw new DiskImageError($"{path}: its L1 table cannot be read");
        _l1 = new ulong[header.L1Size];
        _l1Dirty = new bool[header.L1Size];
        if (!metadata.TryAddRange(_l1Offset >> _clusterBits, (bytes.Length + (1L << _clusterBits) - 1) >> _clusterBits))
            throw new DiskImageError($"{path}: is not a valid qcow2 image: its L1 table at {_l1Offset} overlaps the header or a refcount structure");
        for (int i = 0; i < _l1.Length; i++)
        {
            _l1[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
            long l2 = (long)(_l1[i] & OffsetMask);
            // An L2 table in a cluster of other metadata would have guest writes land in that metadata.
            if (l2 != 0 && !metadata.TryAdd(l2 >> _clusterBits))
                throw new DiskImageError($"{path}: is not a valid qcow2 image: L1 entry {i} points at {l2}, a cluster that holds other metadata");
        }
    }

    /// <summary>Runs before a changed L2 table is written: the refcounts (and data) it depends on reach the disk.</summary>
    public Func<int>? BeforeL2Write { set => _l2.BeforeWrite = value; }

    public bool HasDirty => _l2.HasDirty || _l1DirtyCount > 0;

    /// <summary>True when the L2 table covering <paramref name="guestCluster"/> does not exist (everything it would map is unallocated).</summary>
    public bool NoTable(long guestCluster) => (_l1[guestCluster >> _l2Bits] & OffsetMask) == 0;

    /// <summary>The L2 entry of <paramref name="guestCluster"/> (0: unallocated). 0 or a negative errno.</summary>
    public int Get(long guestCluster, out ulong entry)
    {
        entry = 0;
        long l2Offset = (long)(_l1[guestCluster >> _l2Bits] & OffsetMask);
        if (l2Offset == 0) return 0;
        int error = Load(l2Offset, out int slot);
        if (error != 0) return error;
        entry = EntryIn(slot, guestCluster);
        return 0;
    }

    /// <summary>The L2 entry of <paramref name="guestCluster"/> if no read of the file is needed for it (its L2 table is cached, or it has none).</summary>
    public bool TryGetCached(long guestCluster, out ulong entry)
    {
        entry = 0;
        long l2Offset = (long)(_l1[guestCluster >> _l2Bits] & OffsetMask);
        if (l2Offset == 0) return true;
        if (!_l2.TryFind(l2Offset, out int slot)) return false;
        entry = EntryIn(slot, guestCluster);
        return true;
    }

    /// <summary>Sets the L2 entry of <paramref name="guestCluster"/>, first allocating its L2 table from <paramref name="refcounts"/> when it has none.</summary>
    public int Set(long guestCluster, ulong entry, Refcounts refcounts)
    {
        long l1Index = guestCluster >> _l2Bits;
        long l2Offset = (long)(_l1[l1Index] & OffsetMask);
        int slot, error;
        if (l2Offset == 0)
        {
            if (entry == 0) return 0;
            l2Offset = refcounts.Allocate();
            if (l2Offset < 0) return (int)l2Offset;
            if ((error = _l2.Get(l2Offset, fresh: true, out slot)) != 0) return error;
            _l2.MarkDirty(slot);
            _metadata.Add(l2Offset >> _clusterBits);
            _l1[l1Index] = (ulong)l2Offset | QCOW_OFLAG_COPIED;
            if (!_l1Dirty[l1Index]) _l1DirtyCount++;
            _l1Dirty[l1Index] = true;
        }
        else if ((error = Load(l2Offset, out slot)) != 0)
        {
            return error;
        }
        BinaryPrimitives.WriteUInt64BigEndian(_l2.Table(slot)[EntryAt(guestCluster)..], entry);
        _l2.MarkDirty(slot);
        return 0;
    }

    /// <summary>Writes the changed L2 tables, then (once they are synced) the L1 entries that point to new ones.</summary>
    public int WriteBack()
    {
        int error = _l2.WriteBack();
        if (error != 0 || _l1DirtyCount == 0) return error;
        if ((error = _file.Sync()) != 0) return error;
        Span<byte> entry = stackalloc byte[8];
        for (int i = 0; i < _l1.Length && _l1DirtyCount > 0; i++)
        {
            if (!_l1Dirty[i]) continue;
            BinaryPrimitives.WriteUInt64BigEndian(entry, _l1[i]);
            if ((error = _file.Write(entry, _l1Offset + i * 8L)) != 0) return error;
            _l1Dirty[i] = false;
            _l1DirtyCount--;
        }
        return 0;
    }

    /// <summary>An L2 table must be a whole cluster inside the file that is not the header, the L1 table or a refcount structure.</summary>
    private int Load(long l2Offset, out int slot)
    {
        slot = -1;
        if ((l2Offset & ((1L << _clusterBits) - 1)) != 0 || l2Offset < (1L << _clusterBits)) return -EIO;
        return _l2.Get(l2Offset, fresh: false, out slot);
    }

    private ulong EntryIn(int slot, long guestCluster) => BinaryPrimitives.ReadUInt64BigEndian(_l2.Table(slot)[EntryAt(guestCluster)..]);

    private int EntryAt(long guestCluster) => (int)(guestCluster & ((1L << _l2Bits) - 1)) * 8;
}
