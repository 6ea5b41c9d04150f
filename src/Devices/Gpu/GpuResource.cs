using System.Runtime.InteropServices;
using Glue.Core.Memory;

namespace Glue.Devices.Gpu;

/// <summary>
/// One 2D resource (§5.7.6.8): the host's copy of its pixels, in the guest's format, and the guest pages behind it
/// (its backing) once attached. TRANSFER_TO_HOST_2D copies from the backing straight into <see cref="Pixels"/>;
/// the backing's entries were checked against guest RAM when attached, so the copy never leaves it.
/// </summary>
internal sealed class GpuResource(uint id, uint format, uint width, uint height)
{
    private BackingEntry[] _backing = [];
    private ulong _backingBytes;

    public uint Id { get; } = id;
    public uint Format { get; } = format;
    public uint Width { get; } = width;
    public uint Height { get; } = height;

    /// <summary>Row y starts at y * Width; each pixel as the guest stored it, read as a little-endian uint32.</summary>
    public uint[] Pixels { get; } = new uint[(ulong)width * height];

    public ulong Stride => (ulong)Width * GpuPixelFormat.BytesPerPixel;

    public bool HasBacking => _backing.Length > 0;

    public int BackingEntries => _backing.Length;

    /// <summary>The guest ranges behind the resource, in order, as ATTACH_BACKING gave them.</summary>
    public IEnumerable<(ulong Address, uint Length)> Backing => _backing.Select(entry => (entry.Address, entry.Length));

    /// <summary>True when [x, x+w) x [y, y+h) lies inside the resource (overflow-safe: the fields are the guest's).</summary>
    public bool Contains(in VirtioGpuRect r) =>
        (ulong)r.X + r.Width <= Width && (ulong)r.Y + r.Height <= Height;

    /// <summary>The guest ranges behind the resource, in order (already checked to lie in guest RAM).</summary>
    public void Attach(ReadOnlySpan<VirtioGpuMemEntry> entries)
    {
        var backing = new BackingEntry[entries.Length];
        ulong offset = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            backing[i] = new BackingEntry(entries[i].Addr, entries[i].Length, offset);
            offset += entries[i].Length;
        }
        _backing = backing;
        _backingBytes = offset;
    }

    public void Detach()
    {
        _backing = [];
        _backingBytes = 0;
    }

    /// <summary>
    /// Copies rectangle <paramref name="r"/> (inside the resource) from the backing, whose rows are <see cref="Stride"/>
    /// apart from byte <paramref name="offset"/> on. False, copying nothing, when the backing is too short for it.
    /// </summary>
    public bool TransferFromBacking(GuestMemory memory, in VirtioGpuRect r, ulong offset)
    {
        if (r.Width == 0 || r.Height == 0) return true;
        ulong rowBytes = (ulong)r.Width * GpuPixelFormat.BytesPerPixel;
        // The last byte read is offset + (h-1) * stride + rowBytes; each term is below 2^34, so no overflow but in offset.
        ulong span = (r.Height - 1UL) * Stride + rowBytes;
        if (offset > _backingBytes || span > _backingBytes - offset) return false;

        var pixels = MemoryMarshal.AsBytes(Pixels.AsSpan());
        for (uint row = 0; row < r.Height; row++)
        {
            int destination = (int)(((ulong)(r.Y + row) * Width + r.X) * GpuPixelFormat.BytesPerPixel);
            if (!CopyFromBacking(memory, offset + row * Stride, pixels.Slice(destination, (int)rowBytes))) return false;
        }
        return true;
    }

    /// <summary>Fills <paramref name="destination"/> from backing bytes [from, from + length), across entries.</summary>
    private bool CopyFromBacking(GuestMemory memory, ulong from, Span<byte> destination)
    {
        int entry = EntryHolding(from);
        while (!destination.IsEmpty)
        {
            if (entry >= _backing.Length) return false;
            var e = _backing[entry];
            ulong within = from - e.Offset;
            int count = (int)Math.Min(e.Length - within, (ulong)destination.Length);
            if (!memory.TryGetSpan(new GuestAddress(e.Address + within), count, out var source)) return false;
            source.CopyTo(destination);
            destination = destination[count..];
            from += (ulong)count;
            entry++;
        }
        return true;
    }

    /// <summary>The index of the entry that holds backing byte <paramref name="offset"/> (a binary search; zero-length entries are skipped).</summary>
    private int EntryHolding(ulong offset)
    {
        int low = 0, high = _backing.Length - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (_backing[middle].Offset <= offset) low = middle;
            else high = middle - 1;
        }
        while (low < _backing.Length && offset - _backing[low].Offset >= _backing[low].Length) low++;
        return low;
    }

    private readonly record struct BackingEntry(ulong Address, uint Length, ulong Offset);
}
