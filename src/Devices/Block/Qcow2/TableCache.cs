namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// A bounded write-back cache of cluster-sized metadata tables (L2 tables, refcount blocks), keyed by their
/// offset in the image file, as QEMU's Qcow2Cache is. A table changed in memory is written when it is evicted
/// or at <see cref="WriteBack"/>; <see cref="BeforeWrite"/> runs first, so that what the table points to is on
/// disk before the table is (an L2 table waits for the refcounts of the clusters it maps). Not thread-safe: the
/// image's metadata lock guards it. Nothing is allocated once every slot has its buffer.
/// </summary>
internal sealed class TableCache(HostFile file, int tableBytes, int capacity)
{
    private readonly long[] _offsets = Filled(capacity);
    private readonly byte[]?[] _tables = new byte[capacity][];
    private readonly bool[] _dirty = new bool[capacity];
    private readonly long[] _lastUse = new long[capacity];
    private readonly Dictionary<long, int> _slots = new(capacity);
    private long _clock;
    private int _dirtyCount;

    /// <summary>Runs before any table of this cache is written: 0, or a negative errno that stops the write.</summary>
    public Func<int>? BeforeWrite { get; set; }

    public bool HasDirty => _dirtyCount > 0;

    /// <summary>The slot holding the table at <paramref name="offset"/>, read from the file on a miss (or zero-filled when <paramref name="fresh"/>: a table just allocated). 0 or a negative errno.</summary>
    public int Get(long offset, bool fresh, out int slot)
    {
        if (TryFind(offset, out slot))
        {
            if (fresh) Clear(slot);
            return 0;
        }
        int error = Evict(out slot);
        if (error != 0) return error;
        var table = _tables[slot] ??= new byte[tableBytes];
        if (fresh) table.AsSpan().Clear();
        else if ((error = file.ReadExisting(table, offset)) != 0) return error;
        _offsets[slot] = offset;
        _slots[offset] = slot;
        _lastUse[slot] = ++_clock;
        return 0;
    }

    /// <summary>The slot holding the table at <paramref name="offset"/> if it is in the cache; nothing is read.</summary>
    public bool TryFind(long offset, out int slot)
    {
        if (!_slots.TryGetValue(offset, out slot)) return false;
        _lastUse[slot] = ++_clock;
        return true;
    }

    public Span<byte> Table(int slot) => _tables[slot];

    public void MarkDirty(int slot)
    {
        if (_dirty[slot]) return;
        _dirty[slot] = true;
        _dirtyCount++;
    }

    /// <summary>Writes every changed table (not synced). 0 or a negative errno.</summary>
    public int WriteBack()
    {
        if (_dirtyCount == 0) return 0;
        int error = BeforeWrite?.Invoke() ?? 0;
        for (int slot = 0; slot < capacity && error == 0; slot++)
            if (_dirty[slot]) error = WriteSlot(slot);
        return error;
    }

    /// <summary>Forgets the table at <paramref name="offset"/> without writing it (its cluster is no longer a table).</summary>
    public void Drop(long offset)
    {
        if (!_slots.Remove(offset, out int slot)) return;
        if (_dirty[slot]) _dirtyCount--;
        _dirty[slot] = false;
        _offsets[slot] = -1;
    }

    private void Clear(int slot) => _tables[slot].AsSpan().Clear();

    /// <summary>Frees the least recently used slot, writing its table first if it changed.</summary>
    private int Evict(out int slot)
    {
        slot = 0;
        for (int i = 0; i < capacity; i++)
        {
            if (_offsets[i] < 0) { slot = i; return 0; }
            if (_lastUse[i] < _lastUse[slot]) slot = i;
        }
        if (_dirty[slot])
        {
            int error = BeforeWrite?.Invoke() ?? 0;
            if (error == 0) error = WriteSlot(slot);
            if (error != 0) return error;
        }
        _slots.Remove(_offsets[slot]);
        _offsets[slot] = -1;
        return 0;
    }

    private int WriteSlot(int slot)
    {
        int error = file.Write(_tables[slot], _offsets[slot]);
        if (error != 0) return error;
        _dirty[slot] = false;
        _dirtyCount--;
        return 0;
    }

    private static long[] Filled(int count)
    {
        var offsets = new long[count];
        Array.Fill(offsets, -1);
        return offsets;
    }
}
