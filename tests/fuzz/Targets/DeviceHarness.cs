using Glue.Core.Memory;
using Glue.Virtio;
using Glue.Virtio.Events;
using Glue.Virtio.Split;
using static Glue.Virtio.Split.Virtq;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A device with its queues in 256 KiB of guest memory, driven by the input as a hostile driver would: each record
/// is one chain (queue, buffer count, each buffer's length and direction, readable bytes from the input) made
/// available and kicked. Everything the device does runs on its own event loop, as in Glue. Checked afterwards:
/// nothing threw, and the device wrote only into writable buffers and used rings.
/// </summary>
internal sealed class DeviceHarness
{
    private const int MemorySize = 0x40000;
    private const ulong RingsBase = 0x1000;
    private const ulong RingStride = 0x4000;
    private const ulong BuffersBase = 0x20000;
    private const ushort QueueSize = 16;

    private readonly GuestMemory _memory = new([new GuestRegion(new GuestAddress(0), MemorySize)]);
    private readonly EventLoop _loop;
    private readonly IVirtioDevice _device;
    private readonly SplitQueue[] _queues;
    private readonly WriteWatch _watch;
    private readonly ushort[] _nextDescriptor;
    private readonly Action? _afterRun;

    /// <param name="afterRun">Host-side cleanup after each input, on the loop (drain a TAP, accept connections).</param>
    public DeviceHarness(string name, Func<EventLoop, IVirtioDevice> makeDevice, Action? afterRun = null)
    {
        _loop = new EventLoop($"fuzz-{name}");
        _device = makeDevice(_loop);
        _queues = _device.QueueMaxSizes.Select(max => new SplitQueue(_memory, max, rearm: q => q.RefillBudget())).ToArray();
        _nextDescriptor = new ushort[_queues.Length];
        _watch = new WriteWatch(_memory, new GuestAddress(0), MemorySize);
        _afterRun = afterRun;
    }

    public IVirtioDevice Device => _device;

    public void Run(byte[] data) => _loop.Invoke(() => RunOnLoop(new FuzzInput(data)));

    private void RunOnLoop(FuzzInput input)
    {
        _device.Reset();
        _memory.GetSpan(new GuestAddress(0), MemorySize).Clear();
        byte flags = input.Byte();
        ulong features = VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_VERSION_1) | ((flags & 1) != 0 ? VirtioFeatures.Bit(VirtioFeatures.VIRTIO_F_EVENT_IDX) : 0)
            | (_device.Features & input.U64());
        bool eventIdx = (flags & 1) != 0;
        _watch.Snapshot();
        for (int i = 0; i < _queues.Length; i++)
        {
            var queue = _queues[i];
            queue.Reset();
            var desc = new GuestAddress(RingsBase + (ulong)i * RingStride);
            var avail = desc.Offset((ulong)DescTableBytes(QueueSize));
            var used = avail.Offset((ulong)AvailRingBytes(QueueSize, true)).AlignUp(UsedRingAlignment);
            queue.Size = Math.Min(QueueSize, queue.MaxSize);
            queue.DescTable = desc;
            queue.AvailRing = avail;
            queue.UsedRing = used;
            queue.Enable(features);
            _watch.AllowWrites(used, (ulong)UsedRingBytes(QueueSize, eventIdx));
            _nextDescriptor[i] = 0;
        }
        var activation = new VirtioActivation(_memory, features, _queues, NoInterrupts.Instance, _loop, _ => { });
        _device.Activate(activation);

        ulong buffer = BuffersBase;
        for (int records = 0; !input.AtEnd && records < 64; records++)
        {
            int q = input.Byte() % _queues.Length;
            int count = 1 + input.Byte() % 4;
            var queue = _queues[q];
            ushort size = queue.Size;
            ushort head = _nextDescriptor[q];
            for (int b = 0; b < count; b++)
            {
                ushort length = (ushort)(input.U16() % 0x2000);
                bool writable = (input.Byte() & 1) != 0;
                if (buffer + length > MemorySize) buffer = BuffersBase;
                ushort index = (ushort)((head + b) % size);
                ushort next = (ushort)((index + 1) % size);
                ushort descFlags = (ushort)((writable ? VIRTQ_DESC_F_WRITE : 0) | (b < count - 1 ? VIRTQ_DESC_F_NEXT : 0));
                _watch.DriverWrite(queue.DescTable.Offset((ulong)index * DescriptorSize), new VirtqDesc(buffer, length, descFlags, next));
                if (writable) _watch.AllowWrites(new GuestAddress(buffer), length);
                else _watch.DriverWrite(new GuestAddress(buffer), input.Bytes(length));
                buffer += length;
            }
            _nextDescriptor[q] = (ushort)((head + count) % size);
            ushort idx = _memory.Read<ushort>(queue.AvailRing.Offset(2));
            _watch.DriverWrite(queue.AvailRing.Offset((ulong)(RingHeaderSize + 2 * (idx % size))), head);
            _watch.DriverWrite(queue.AvailRing.Offset(2), (ushort)(idx + 1));
            _device.QueueNotify(q);
        }
        _afterRun?.Invoke();
        _device.Reset();
        _watch.Check();
    }

    private sealed class NoInterrupts : IVirtioInterrupts
    {
        public static readonly NoInterrupts Instance = new();
        public void SignalUsedBuffers(int queue) { }
        public void SignalConfigChange() { }
    }
}
