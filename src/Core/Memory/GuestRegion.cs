using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Core.Memory;

/// <summary>
/// One contiguous range of guest-physical memory and the host mapping behind it, which it owns: anonymous
/// memory for a VM of our own, or a file another process shares with us (a vhost-user frontend's guest RAM).
/// </summary>
public sealed unsafe class GuestRegion : IDisposable
{
    private const ulong PageSize = 4096;

    private nint _mapping;          // what mmap returned: the host address is inside it, past any page offset
    private readonly ulong _mappingLength;

    public GuestRegion(GuestAddress start, ulong size)
    {
        Start = start;
        Size = size;
        _mappingLength = size;
        // MAP_NORESERVE: the guest touches memory lazily; the host commits pages only as they are used.
        _mapping = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (_mapping == Libc.MAP_FAILED)
        {
            _mapping = 0;
            throw NativeError.FromLastError($"mmap of {size >> 20} MiB guest memory");
        }
        // Transparent huge pages where the host allows them (THP "madvise" mode needs the advice; QEMU gives it
        // too): fewer page faults as the guest first touches its RAM and fewer TLB misses in every copy Glue makes
        // into it. A host without THP refuses the advice, which changes nothing.
        Libc.Madvise(_mapping, (nuint)size, Libc.MADV_HUGEPAGE);
        HostAddress = _mapping;
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes of <paramref name="file"/> from byte <paramref name="offset"/>, shared
    /// (MAP_SHARED), as the guest memory at <paramref name="start"/>: another process's guest RAM that it handed us
    /// as an fd (a memfd). The range must lie within the file as it is now, so that no access past its end can
    /// fault; <see cref="GuestMemoryException"/> otherwise. The fd may be closed afterwards: the mapping keeps the
    /// file. An offset that is not page aligned is mapped from the page below it.
    /// </summary>
    public GuestRegion(GuestAddress start, ulong size, SafeHandle file, ulong offset)
        : this(start, size, file, offset, Libc.MAP_SHARED)
    {
    }

    /// <summary>
    /// Maps a file as guest memory privately (MAP_PRIVATE): a snapshot's memory file, read page by page as the guest
    /// touches it, and never written back. Checked as the shared mapping is.
    /// </summary>
    public static GuestRegion CopyOnWrite(GuestAddress start, ulong size, SafeHandle file, ulong offset) =>
        new(start, size, file, offset, Libc.MAP_PRIVATE | Libc.MAP_NORESERVE);

    private GuestRegion(GuestAddress start, ulong size, SafeHandle file, ulong offset, int mapFlags)
    {
        Start = start;
        Size = size;
        if (size == 0 || offset > long.MaxValue || size > long.MaxValue - offset || start.Value > ulong.MaxValue - size)
            throw new GuestMemoryException($"a shared region of 0x{size:x} bytes at file offset 0x{offset:x} is not a valid range");
        bool referenced = false;
        file.DangerousAddRef(ref referenced);
        try
        {
            int fd = (int)file.DangerousGetHandle();
            ulong fileSize = FileSize(fd);
            if (offset + size > fileSize)
                throw new GuestMemoryException($"a shared region [0x{offset:x}, 0x{offset + size:x}) goes past the end of its file (0x{fileSize:x} bytes)");
            ulong pageOffset = offset % PageSize;
            _mappingLength = size + pageOffset;
            _mapping = Libc.Mmap(0, (nuint)_mappingLength, Libc.PROT_READ | Libc.PROT_WRITE, mapFlags, fd, (long)(offset - pageOffset));
            if (_mapping == Libc.MAP_FAILED)
            {
                _mapping = 0;
                throw NativeError.FromLastError($"mmap of a {size >> 20} MiB guest region from a file");
            }
            HostAddress = _mapping + (nint)pageOffset;
        }
        finally
        {
            if (referenced) file.DangerousRelease();
        }
    }

    public GuestAddress Start { get; }
    public ulong Size { get; }
    public GuestAddress End => Start.Offset(Size);
    public nint HostAddress { get; private set; }

    /// <summary>True when [address, address+length) lies wholly inside this region (overflow-safe).</summary>
    public bool Contains(GuestAddress address, ulong length) =>
        address.Value >= Start.Value && length <= Size && address.Value - Start.Value <= Size - length;

    /// <summary>The host bytes behind [address, address+length); the caller has checked <see cref="Contains"/>.</summary>
    internal Span<byte> Slice(GuestAddress address, int length) =>
        new((byte*)HostAddress + (address.Value - Start.Value), length);

    private static ulong FileSize(int fd)
    {
        byte* stat = stackalloc byte[Libc.StatSize];
        if (Libc.Fstat(fd, stat) != 0) throw NativeError.FromLastError("fstat of a shared guest memory fd");
        long size = *(long*)(stat + Libc.StatSizeOffset);
        return size < 0 ? 0 : (ulong)size;
    }

    public void Dispose()
    {
        if (_mapping == 0) return;
        Libc.Munmap(_mapping, (nuint)_mappingLength);
        _mapping = 0;
        HostAddress = 0;
    }
}
