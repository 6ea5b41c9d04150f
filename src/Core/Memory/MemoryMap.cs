namespace Glue.Core.Memory;

/// <summary>A memory-map entry type, numbered as E820 and PVH's hvm_memmap_table_entry number them.</summary>
public enum MemoryType : uint
{
    Ram = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
}

public readonly record struct MemoryMapEntry(GuestAddress Start, ulong Size, MemoryType Type);

/// <summary>The map a boot protocol hands the guest (PVH memmap, Linux e820): one source for both.</summary>
public static class MemoryMap
{
    /// <summary>RAM as <paramref name="memory"/> has it, then <paramref name="reserved"/> (outside RAM: the PCI ECAM), in address order.</summary>
    public static IReadOnlyList<MemoryMapEntry> For(GuestMemory memory, IReadOnlyList<MemoryMapEntry>? reserved = null)
    {
        var entries = new List<MemoryMapEntry>();
        foreach (var region in memory.Regions)
        {
            if (region.Start.Value == 0)
            {
                // Low RAM below the EBDA, then the EBDA and BIOS area up to 1 MiB, then the rest.
                entries.Add(new(region.Start, MemoryLayout.EbdaStart.Value, MemoryType.Ram));
                entries.Add(new(MemoryLayout.EbdaStart, MemoryLayout.HighMemoryStart.Value - MemoryLayout.EbdaStart.Value, MemoryType.Reserved));
                if (region.End > MemoryLayout.HighMemoryStart)
                {
                    entries.Add(new(MemoryLayout.HighMemoryStart, region.End.Value - MemoryLayout.HighMemoryStart.Value, MemoryType.Ram));
                }
            }
            else
            {
                entries.Add(new(region.Start, region.Size, MemoryType.Ram));
            }
        }
        entries.AddRange(reserved ?? []);
        return [.. entries.OrderBy(e => e.Start.Value)];
    }
}
