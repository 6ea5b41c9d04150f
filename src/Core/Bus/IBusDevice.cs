namespace Glue.Core.Bus;

/// <summary>
/// Something that answers reads and writes in a range of port or MMIO space. Offsets are relative to the
/// start of the range the device was registered at; data is the access width (1, 2, 4 or 8 bytes).
/// Called on vCPU threads, possibly several at once: a device guards its own state.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}
