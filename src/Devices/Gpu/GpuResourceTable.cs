namespace Glue.Devices.Gpu;

/// <summary>
/// The guest's resources by id, and the bound on the host memory they take: each resource is charged its pixels,
/// its backing list and a fixed overhead, so neither one huge resource nor a flood of tiny ones can make Glue
/// allocate more than <see cref="MaxBytes"/>.
/// </summary>
internal sealed class GpuResourceTable(ulong maxBytes)
{
    /// <summary>What a resource costs beyond its pixels: the object, its table entry.</summary>
    public const ulong OverheadBytes = 256;

    /// <summary>Bytes per entry of a backing list as the host keeps it.</summary>
    public const ulong BackingEntryBytes = 24;

    /// <summary>The most pixel bytes one resource may have: its pixels are one array, indexed by byte in an int.</summary>
    public const ulong MaxResourceBytes = int.MaxValue;

    private readonly Dictionary<uint, GpuResource> _resources = [];

    public ulong MaxBytes { get; } = maxBytes;

    /// <summary>Bytes charged to the resources there are now.</summary>
    public ulong UsedBytes { get; private set; }

    public int Count => _resources.Count;

    /// <summary>Every resource, by id.</summary>
    public IEnumerable<GpuResource> All => _resources.Values.OrderBy(resource => resource.Id);

    public GpuResource? Find(uint id) => id == 0 ? null : _resources.GetValueOrDefault(id);

    public bool Exists(uint id) => _resources.ContainsKey(id);

    /// <summary>True when a resource of width x height (neither 0) fits the bound; the product is taken in 64 bits, so it cannot overflow.</summary>
    public bool CanCreate(uint width, uint height) => Charge((ulong)width * height * GpuPixelFormat.BytesPerPixel) is { } cost && cost <= MaxBytes - UsedBytes;

    /// <summary>Makes the resource; the caller checked <see cref="CanCreate"/> and that the id is free and not 0.</summary>
    public GpuResource Create(uint id, uint format, uint width, uint height)
    {
        var resource = new GpuResource(id, format, width, height);
        _resources.Add(id, resource);
        UsedBytes += Charge((ulong)width * height * GpuPixelFormat.BytesPerPixel)!.Value;
        return resource;
    }

    /// <summary>True when a backing list of <paramref name="entries"/> entries fits the bound.</summary>
    public bool CanAttach(uint entries) => (ulong)entries * BackingEntryBytes <= MaxBytes - UsedBytes;

    public void Attach(GpuResource resource, ReadOnlySpan<VirtioGpuMemEntry> entries)
    {
        resource.Attach(entries);
        UsedBytes += (ulong)entries.Length * BackingEntryBytes;
    }

    public void Detach(GpuResource resource)
    {
        UsedBytes -= (ulong)resource.BackingEntries * BackingEntryBytes;
        resource.Detach();
    }

    /// <summary>Forgets the resource and its backing (Linux unrefs without detaching first).</summary>
    public void Remove(GpuResource resource)
    {
        Detach(resource);
        _resources.Remove(resource.Id);
        UsedBytes -= Charge((ulong)resource.Width * resource.Height * GpuPixelFormat.BytesPerPixel)!.Value;
    }

    public void Clear()
    {
        _resources.Clear();
        UsedBytes = 0;
    }

    /// <summary>What a resource of <paramref name="pixelBytes"/> costs, or null when one resource cannot be that large.</summary>
    private static ulong? Charge(ulong pixelBytes) => pixelBytes <= MaxResourceBytes ? pixelBytes + OverheadBytes : null;
}
