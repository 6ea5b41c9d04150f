using Glue.Core.Devices;

namespace Glue.Core.Machine;

/// <summary>A fixed set of numbers handed out in order, each once: GSIs, PCI slots.</summary>
public sealed class IdPool(string name, IEnumerable<uint> ids)
{
    private readonly uint[] _ids = [.. ids];
    private int _next;

    /// <summary>What the numbers are, for error messages ("PCI slots on bus 0").</summary>
    public string Name { get; } = name;

    public int Capacity => _ids.Length;

    /// <summary>The next free number; throws <see cref="DeviceConfigException"/> naming <paramref name="what"/> when all are taken.</summary>
    public uint Allocate(string what) =>
        _next < _ids.Length
            ? _ids[_next++]
            : throw new DeviceConfigException($"no {Name} left for {what}: all {_ids.Length} are taken (fewer devices, please)");
}
