namespace Glue.Core.Bus;

/// <summary>
/// Port I/O or MMIO space: non-overlapping ranges, each owned by one device. Ranges are registered while
/// the VM is built and kept sorted, so an exit finds its device by binary search without allocating.
/// An access nobody owns reads as all ones and its writes are dropped, as on a PC bus.
/// </summary>
public sealed class AddressBus(string name)
{
    private readonly record struct Range(ulong Start, ulong Length, IBusDevice Device)
    {
        public ulong End => Start + Length;
    }

    // Replaced whole by each registration, never changed in place: an access reads it once and works on that
    // snapshot, so a range moved by another vCPU meanwhile cannot shift the index it found.
    private volatile Range[] _ranges = [];

    public string Name { get; } = name;

    /// <summary>Claims [start, start+length) for a device; throws if that overlaps a range already claimed.</summary>
    public void Register(ulong start, ulong length, IBusDevice device)
    {
        if (!TryRegister(start, length, device))
        {
            var existing = _ranges.First(r => start < r.End && r.Start < start + length);
            throw new InvalidOperationException($"{Name}: 0x{start:x}+0x{length:x} overlaps 0x{existing.Start:x}+0x{existing.Length:x}");
        }
    }

    /// <summary>
    /// Claims [start, start+length) unless that overlaps a range already claimed (a guest moving a PCI BAR may ask
    /// for anything). Registration is not thread-safe, but lookups may run meanwhile: the array is replaced whole.
    /// </summary>
    public bool TryRegister(ulong start, ulong length, IBusDevice device)
    {
        if (length == 0 || start + length < start) throw new ArgumentException($"{Name}: empty or wrapping range at 0x{start:x}");
        var range = new Range(start, length, device);
        foreach (var existing in _ranges)
        {
            if (start < existing.End && existing.Start < range.End) return false;
        }
        _ranges = [.. _ranges.Append(range).OrderBy(r => r.Start)];
        return true;
    }

    /// <summary>Releases the range <paramref name="device"/> holds at <paramref name="start"/> (a BAR that moved or stopped decoding).</summary>
    public void Unregister(ulong start, IBusDevice device) =>
        _ranges = [.. _ranges.Where(r => r.Start != start || !ReferenceEquals(r.Device, device))];

    public void Read(ulong address, Span<byte> data)
    {
        var ranges = _ranges;
        int index = Find(ranges, address);
        if (index < 0)
        {
            data.Fill(0xff);
            return;
        }
        ref readonly var range = ref ranges[index];
        range.Device.Read(address - range.Start, data);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        var ranges = _ranges;
        int index = Find(ranges, address);
        if (index < 0) return;
        ref readonly var range = ref ranges[index];
        range.Device.Write(address - range.Start, data);
    }

    /// <summary>The index in <paramref name="ranges"/> of the range holding <paramref name="address"/>, or -1.</summary>
    private static int Find(Range[] ranges, ulong address)
    {
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (address < ranges[mid].Start) hi = mid - 1;
            else if (address >= ranges[mid].End) lo = mid + 1;
            else return mid;
        }
        return -1;
    }
}
