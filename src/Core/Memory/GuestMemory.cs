using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Glue.Core.Memory;

/// <summary>
/// All of a guest's RAM. Every access is bounds-checked against the regions and handed out as a span, so a
/// guest-supplied address can never reach host memory outside the guest.
/// </summary>
public sealed class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;

    public GuestMemory(IEnumerable<GuestRegion> regions)
    {
        _regions = regions.OrderBy(r => r.Start).ToArray();
        for (int i = 1; i < _regions.Length; i++)
        {
            if (_regions[i].Start < _regions[i - 1].End) throw new ArgumentException("guest memory regions overlap");
        }
    }

    public IReadOnlyList<GuestRegion> Regions => _regions;

    /// <summary>Total bytes of RAM across all regions.</summary>
    public ulong Size => _regions.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>The bytes at [address, address+length), or false when any of them is not guest RAM.</summary>
    public bool TryGetSpan(GuestAddress address, int length, out Span<byte> span)
    {
        foreach (var region in _regions)
        {
            if (length >= 0 && region.Contains(address, (ulong)length))
            {
                span = region.Slice(address, length);
                return true;
            }
        }
        span = default;
        return false;
    }

    /// <summary>The bytes at [address, address+length); throws <see cref="GuestMemoryException"/> when outside RAM.</summary>
    public Span<byte> GetSpan(GuestAddress address, int length)
    {
        if (!TryGetSpan(address, length, out var span)) ThrowOutOfRange(address, length);
        return span;
    }

    public T Read<T>(GuestAddress address) where T : unmanaged =>
        MemoryMarshal.Read<T>(GetSpan(address, Unsafe.SizeOf<T>()));

    public void Write<T>(GuestAddress address, in T value) where T : unmanaged =>
        MemoryMarshal.Write(GetSpan(address, Unsafe.SizeOf<T>()), in value);

    public void Write(GuestAddress address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(GetSpan(address, bytes.Length));

    [DoesNotReturn]
    private static void ThrowOutOfRange(GuestAddress address, int length) =>
        throw new GuestMemoryException($"guest range {address}+0x{length:x} is not RAM");

    public void Dispose()
    {
        foreach (var region in _regions) region.Dispose();
    }
}

/// <summary>An access outside guest RAM.</summary>
public sealed class GuestMemoryException(string message) : Exception(message);
