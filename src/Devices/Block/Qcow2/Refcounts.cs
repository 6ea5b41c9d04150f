using System.Buffers.Binary;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The refcount table and its blocks (qcow2.txt "Host cluster management"): each host cluster's count of
/// references, 2^refcount_order bits wide; cluster allocation (the first cluster whose count is 0, as QEMU
/// does); and the growth of the structures when a cluster lies past what they describe. New refcount blocks
/// and a new table are written and synced before anything points at them, so the file is consistent between
/// any two writes. Guarded by the image's metadata lock.
/// </summary>
internal sealed class Refcounts
{
    private const int ENOSPC = 28, EIO = 5;

    private readonly HostFile _file;
    private readonly MetadataClusters _metadata;
    private readonly TableCache _blocks;
    private readonly int _clusterBits;
    private readonly int _order;
    private readonly int _entriesBits;   // log2 of the refcounts one block holds
    private readonly ulong _max;
    private ulong[] _table;
    private long _tableOffset;
    private int _tableClusters;
    private long _freeCursor;

    public Refcounts(HostFile file, Qcow2Header header, MetadataClusters metadata, string path)
    {
        _file = file;
        _metadata = metadata;
        _clusterBits = header.ClusterBits;
        _order = header.RefcountOrder;
        _entriesBits = _clusterBits + 3 - _order;
        _max = _order == 6 ? ulong.MaxValue : (1UL << (1 << _order)) - 1;
        _blocks = new TableCache(file, 1 << _clusterBits, Math.Clamp((1 << 20) >> _clusterBits, 8, 256));
        _tableOffset = header.RefcountTableOffset;
        _tableClusters = header.RefcountTableClusters;
        var bytes = new byte[(long)_tableClusters << _clusterBits];
        if (file.ReadExisting(bytes, _tableOffset) != 0) throw new DiskImageError($"{path}: its refcount table cannot be read");
        _table = new ulong[bytes.Length / 8];
        if (!metadata.TryAddRange(_tableOffset >> _clusterBits, _tableClusters))
            throw new DiskImageError($"{path}: is not a valid qcow2 image: its refcount table at {_tableOffset} overlaps the header");
        long fileBytes = file.Length;
        for (int i = 0; i < _table.Length; i++)
        {
            ulong entry = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
            _table[i] = entry;
            if (entry == 0) continue;
            if ((entry & ((1UL << _clusterBits) - 1)) != 0 || entry > (ulong)(fileBytes - (1L << _clusterBits)))
                throw new DiskImageError($"{path}: is not a valid qcow2 image: refcount block {i} lies at {entry}, not a cluster inside the file");
            // Each block describes its own range of clusters: one named twice (or in the header or the table) is damage,
            // and would make the allocator scan that block once per entry.
            if (!metadata.TryAdd((long)(entry >> _clusterBits)))
                throw new DiskImageError($"{path}: is not a valid qcow2 image: refcount block {i} lies at {entry}, a cluster that holds other metadata");
        }
    }

    /// <summary>The refcount of <paramref name="cluster"/> (0 where no block describes it). 0 or a negative errno.</summary>
    public int Get(long cluster, out ulong count)
    {
        count = 0;
        long block = cluster >> _entriesBits;
        if (block >= _table.Length || _table[block] == 0) return 0;
        int error = _blocks.Get((long)_table[block], fresh: false, out int slot);
        if (error != 0) return error;
        count = Entry(_blocks.Table(slot), Index(cluster));
        return 0;
    }

    /// <summary>Adds <paramref name="delta"/> to an existing count; -EIO when it would leave 0..max or no block describes the cluster.</summary>
    public int Change(long cluster, int delta)
    {
        long block = cluster >> _entriesBits;
        if (block >= _table.Length || _table[block] == 0) return -EIO;
        int error = _blocks.Get((long)_table[block], fresh: false, out int slot);
        if (error != 0) return error;
        var table = _blocks.Table(slot);
        ulong count = Entry(table, Index(cluster));
        if (delta < 0 ? count < (ulong)-delta : _max - count < (ulong)delta) return -EIO;
        SetEntry(table, Index(cluster), delta < 0 ? count - (ulong)-delta : count + (ulong)delta);
        _blocks.MarkDirty(slot);
        if (delta < 0 && count == (ulong)-delta) _freeCursor = Math.Min(_freeCursor, cluster);
        return 0;
    }

    /// <summary>A free cluster, its refcount now 1 (in the cache); its byte offset, or a negative errno.</summary>
    public long Allocate()
    {
        for (long cluster = _freeCursor; ; cluster++)
        {
            if (_metadata.Contains(cluster)) continue;
            long block = cluster >> _entriesBits;
            if (block >= _table.Length || _table[block] == 0)
            {
                // Nothing describes this cluster or any after it in its block: give it a block first.
                int grown = block >= _table.Length ? GrowTable(cluster) : AddBlock(cluster);
                if (grown != 0) return grown;
                cluster = _freeCursor - 1;
                continue;
            }
            int error = Get(cluster, out ulong count);
            if (error != 0) return error;
            if (count != 0) continue;
            error = Change(cluster, 1);
            if (error != 0) return error;
            _freeCursor = cluster + 1;
            return cluster << _clusterBits;
        }
    }

    /// <summary>Writes every changed refcount block (not synced).</summary>
    public int WriteBack() => _blocks.WriteBack();

    /// <summary>A new refcount block for the free <paramref name="cluster"/>'s range, placed in that cluster itself (it describes itself).</summary>
    private int AddBlock(long cluster)
    {
        long block = cluster >> _entriesBits;
        var table = new byte[1 << _clusterBits];
        SetEntry(table, Index(cluster), 1);
        long offset = cluster << _clusterBits;
        int error = _file.Write(table, offset);
        if (error == 0) error = _file.Sync();   // the block's content is on disk before the table points at it
        if (error != 0) return error;
        Span<byte> entry = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)offset);
        error = _file.Write(entry, _tableOffset + block * 8);
        if (error != 0) return error;
        _table[block] = (ulong)offset;
        _metadata.Add(cluster);
        _freeCursor = cluster + 1;
        return 0;
    }

    /// <summary>
    /// The table is too short for <paramref name="cluster"/>: write a larger one after the new refcount blocks that
    /// describe it and themselves, all in free clusters from <paramref name="cluster"/> on; sync; point the header at
    /// it; sync; then free the old table (a lost free is a leak, never a corruption).
    /// </summary>
    private int GrowTable(long cluster)
    {
        long firstBlock = cluster >> _entriesBits;
        long clusterBytes = 1L << _clusterBits;
        long blocks = 1, tableClusters;
        while (true)
        {
            long entries = Math.Max(_table.Length * 2L, firstBlock + blocks);
            tableClusters = (entries * 8 + clusterBytes - 1) >> _clusterBits;
            long lastBlock = (cluster + blocks + tableClusters - 1) >> _entriesBits;
            if (lastBlock - firstBlock + 1 <= blocks) break;
            blocks = lastBlock - firstBlock + 1;
        }
        if (tableClusters * clusterBytes > Qcow2Header.MaxRefcountTableBytes) return -ENOSPC;
        var newTable = new ulong[tableClusters * clusterBytes / 8];
        Array.Copy(_table, newTable, _table.Length);
        var blockBytes = new byte[clusterBytes];
        long end = cluster + blocks + tableClusters;
        int error;
        for (long b = 0; b < blocks; b++)
        {
            blockBytes.AsSpan().Clear();
            long first = (firstBlock + b) << _entriesBits;
            for (long c = Math.Max(first, cluster); c < Math.Min(end, first + (1L << _entriesBits)); c++) SetEntry(blockBytes, Index(c), 1);
            long offset = (cluster + b) << _clusterBits;
            if ((error = _file.Write(blockBytes, offset)) != 0) return error;
            newTable[firstBlock + b] = (ulong)offset;
        }
        var tableBytes = new byte[tableClusters * clusterBytes];
        for (int i = 0; i < newTable.Length; i++) BinaryPrimitives.WriteUInt64BigEndian(tableBytes.AsSpan(i * 8), newTable[i]);
        long tableOffset = (cluster + blocks) << _clusterBits;
        if ((error = _file.Write(tableBytes, tableOffset)) != 0 || (error = _file.Sync()) != 0) return error;
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)tableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)tableClusters);
        if ((error = _file.Write(header, Qcow2Header.RefcountTableOffsetField)) != 0 || (error = _file.Sync()) != 0) return error;

        long oldFirst = _tableOffset >> _clusterBits, oldCount = _tableClusters;
        _table = newTable;
        _tableOffset = tableOffset;
        _tableClusters = (int)tableClusters;
        _metadata.RemoveRange(oldFirst, oldCount);
        _metadata.AddRange(cluster, blocks + tableClusters);
        _freeCursor = end;
        for (long c = oldFirst; c < oldFirst + oldCount; c++) Change(c, -1);
        return 0;
    }

    private int Index(long cluster) => (int)(cluster & ((1L << _entriesBits) - 1));

    /// <summary>Refcount block entry i: sub-byte widths pack from bit 0 of each byte; wider ones are big-endian.</summary>
    private ulong Entry(ReadOnlySpan<byte> block, int i) => _order switch
    {
        < 3 => (ulong)(block[i >> (3 - _order)] >> ((i << _order) & 7)) & _max,
        3 => block[i],
        4 => BinaryPrimitives.ReadUInt16BigEndian(block[(i * 2)..]),
        5 => BinaryPrimitives.ReadUInt32BigEndian(block[(i * 4)..]),
        _ => BinaryPrimitives.ReadUInt64BigEndian(block[(i * 8)..]),
    };

    private void SetEntry(Span<byte> block, int i, ulong value)
    {
        switch (_order)
        {
            case < 3:
                int shift = (i << _order) & 7;
                ref byte b = ref block[i >> (3 - _order)];
                b = (byte)((b & ~((int)_max << shift)) | ((int)value << shift));
                break;
            case 3: block[i] = (byte)value; break;
            case 4: BinaryPrimitives.WriteUInt16BigEndian(block[(i * 2)..], (ushort)value); break;
            case 5: BinaryPrimitives.WriteUInt32BigEndian(block[(i * 4)..], (uint)value); break;
            default: BinaryPrimitives.WriteUInt64BigEndian(block[(i * 8)..], value); break;
        }
    }
}
