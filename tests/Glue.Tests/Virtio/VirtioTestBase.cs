using Glue.Core.Memory;

namespace Glue.Tests.Virtio;

/// <summary>
/// Guest RAM for queue tests: 1 MiB at 0 and 64 KiB at 2 MiB, with a hole between them and nothing above,
/// so tests can point buffers into a hole or off the end. Rings live at 0x1000, buffers from 0x40000.
/// </summary>
public abstract class VirtioTestBase : IDisposable
{
    protected const ulong Buffers = 0x40000;
    protected const ulong HighRegion = 0x200000;
    protected const ulong HighRegionSize = 0x10000;

    protected GuestMemory Memory { get; } = new([
        new GuestRegion(new GuestAddress(0), 0x100000),
        new GuestRegion(new GuestAddress(HighRegion), HighRegionSize),
    ]);

    public virtual void Dispose() => Memory.Dispose();

    protected void Fill(ulong address, byte[] bytes) => Memory.Write(new GuestAddress(address), bytes);

    protected byte[] Bytes(ulong address, int length) => Memory.GetSpan(new GuestAddress(address), length).ToArray();
}
