namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The clusters that hold the image's own metadata (header, L1 table, refcount table, refcount blocks, L2
/// tables), as QEMU's metadata overlap check knows them: a guest write is never let into one, and the allocator
/// never hands one out even if a damaged refcount says it is free.
/// </summary>
internal sealed class MetadataClusters
{
    private readonly HashSet<long> _clusters = [];

    public bool Contains(long cluster) => _clusters.Contains(cluster);

    public void Add(long cluster) => _clusters.Add(cluster);

    /// <summary>Adds a cluster the image's own tables name; false if it already holds other metadata (a hostile or damaged image).</summary>
    public bool TryAdd(long cluster) => _clusters.Add(cluster);

    /// <summary>Adds a whole table; false if any of its clusters already holds other metadata.</summary>
    public bool TryAddRange(long first, long count)
    {
        for (long c = first; c < first + count; c++)
            if (!_clusters.Add(c)) return false;
        return true;
    }

    public void AddRange(long first, long count)
    {
        for (long c = first; c < first + count; c++) _clusters.Add(c);
    }

    public void RemoveRange(long first, long count)
    {
        for (long c = first; c < first + count; c++) _clusters.Remove(c);
    }
}
