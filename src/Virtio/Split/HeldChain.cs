using Glue.Core.Memory;

namespace Glue.Virtio.Split;

/// <summary>
/// A popped chain a device keeps past the next pop, to serve it on another thread while the queue's own
/// <see cref="DescriptorChain"/> is refilled (virtio-fs serves several requests at once). <see cref="Load"/>
/// copies the head and the already checked segments; nothing is allocated after construction.
/// </summary>
public sealed class HeldChain
{
    private readonly GuestSegment[] _segments;
    private int _count;
    private int _readableCount;

    /// <param name="maxSegments">The device's maximum queue size: no chain has more buffers.</param>
    public HeldChain(GuestMemory memory, int maxSegments)
    {
        Memory = memory;
        _segments = new GuestSegment[maxSegments];
        Reader = new ChainReader(memory);
        Writer = new ChainWriter(memory);
    }

    public GuestMemory Memory { get; }

    /// <summary>What the device returns in the used ring.</summary>
    public ushort Head { get; private set; }

    public ReadOnlySpan<GuestSegment> Readable => new(_segments, 0, _readableCount);

    public ReadOnlySpan<GuestSegment> Writable => new(_segments, _readableCount, _count - _readableCount);

    public ChainReader Reader { get; }

    public ChainWriter Writer { get; }

    /// <summary>Takes over <paramref name="chain"/>'s head and segments, with the reader and writer at their starts.</summary>
    public void Load(DescriptorChain chain)
    {
        Head = chain.Head;
        chain.Readable.CopyTo(_segments);
        chain.Writable.CopyTo(_segments.AsSpan(chain.Readable.Length));
        _readableCount = chain.Readable.Length;
        _count = _readableCount + chain.Writable.Length;
        Reader.Reset(_segments, 0, _readableCount, chain.Reader.Length);
        Writer.Reset(_segments, _readableCount, _count, chain.Writer.Length);
    }
}
