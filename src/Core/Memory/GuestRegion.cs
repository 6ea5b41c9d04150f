using Glue.Core.Interop;

namespace Glue.Core.Memory;

/// <summary>One contiguous range of guest-physical memory backed by an anonymous host mapping it owns.</summary>
public sealed unsafe class GuestRegion : IDisposable
{
    private nint _host;

    public GuestRegion(GuestAddress start, ulong size)
    {
        Start = start;
        Size = size;
        // MAP_NORESERVE: the guest touches memory lazily; the host commits pages only as they are used.
        _host = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (_host == Libc.MAP_FAILED)
        {
            _host = 0;
            throw NativeError.FromLastError($"mmap of {size >> 20} MiB guest memory");
        }
    }

    public GuestAddress Start { get; }
    public ulong Size { get; }
    public GuestAddress End => Start.Offset(Size);
    public nint HostAddress => _host;

    /// <summary>True when [address, address+length) lies wholly inside this region (overflow-safe).</summary>
    public bool Contains(GuestAddress address, ulong length) =>
        address.Value >= Start.Value && length <= Size && address.Value - Start.Value <= Size - length;

    /// <summary>The host bytes behind [address, address+length); the caller has checked <see cref="Contains"/>.</summary>
    internal Span<byte> Slice(GuestAddress address, int length) =>
        new((byte*)_host + (address.Value - Start.Value), length);

    public void Dispose()
    {
        if (_host == 0) return;
        Libc.Munmap(_host, (nuint)Size);
        _host = 0;
    }
}
