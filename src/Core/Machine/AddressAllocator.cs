using Glue.Core.Devices;

namespace Glue.Core.Machine;

/// <summary>
/// Hands out aligned, non-overlapping ranges of one guest-physical window (the platform MMIO windows, a PCI memory
/// window), lowest first. Nothing is given back: a machine's devices are placed once, before it boots.
/// </summary>
public sealed class AddressAllocator(string name, ulong start, ulong size)
{
    private ulong _next = start;

    /// <summary>What the window is, for error messages ("the PCI 32-bit memory window").</summary>
    public string Name { get; } = name;

    public ulong Start { get; } = start;

    public ulong Size { get; } = size;

    public ulong End => Start + Size;

    /// <summary>
    /// The lowest free range of <paramref name="length"/> bytes aligned to <paramref name="alignment"/> (a power of 2);
    /// throws <see cref="DeviceConfigException"/> naming <paramref name="what"/> when the window is full.
    /// </summary>
    public ulong Allocate(ulong length, ulong alignment, string what)
    {
        if (length == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw new ArgumentException($"{what}: 0x{length:x} bytes aligned to 0x{alignment:x} is not a range to allocate");
        ulong at = (_next + alignment - 1) & ~(alignment - 1);
        if (at < _next || at > End || End - at < length)
            throw new DeviceConfigException($"no room for {what} (0x{length:x} bytes) in {Name}: 0x{Size:x} bytes from 0x{Start:x} are used up");
        _next = at + length;
        return at;
    }
}
