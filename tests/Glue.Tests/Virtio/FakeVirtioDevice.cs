using Glue.Core.Pci;
using Glue.Virtio;
using Glue.Virtio.Events;

namespace Glue.Tests.Virtio;

/// <summary>A device that records what the core asks of it, and on which thread.</summary>
internal sealed class FakeVirtioDevice(EventLoop ioThread) : IVirtioDevice
{
    public const ulong DeviceFeature = 1UL << 5;
    private readonly byte[] _config = [1, 2, 3, 4, 5, 6];

    public uint DeviceId => VirtioIds.VIRTIO_ID_RNG;
    public string Name => "rng";
    public uint PciClass => PciClassCodes.PCI_CLASS_OTHERS;
    public ulong Features => DeviceFeature;
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [8, 16];
    public int ConfigSize => _config.Length;

    public VirtioActivation? Activation { get; private set; }
    public bool ActivatedOnIoThread { get; private set; }
    public int Resets { get; private set; }
    public List<int> Notified { get; } = [];
    public SemaphoreSlim NotifiedSignal { get; } = new(0);

    public void ReadConfig(int offset, Span<byte> data) => _config.AsSpan(offset, data.Length).CopyTo(data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => data.CopyTo(_config.AsSpan(offset));

    public void Activate(VirtioActivation activation)
    {
        Activation = activation;
        ActivatedOnIoThread = ioThread.IsOnLoopThread;
    }

    public void QueueNotify(int queue)
    {
        if (ioThread.IsOnLoopThread) Notified.Add(queue);
        NotifiedSignal.Release();
    }

    public void Reset()
    {
        Resets++;
        Activation = null;
    }
}

/// <summary>A transport's interrupt sink that counts what it is asked to signal.</summary>
internal sealed class FakeInterrupts : IVirtioInterrupts
{
    private int _configChanges;

    public int ConfigChanges => Volatile.Read(ref _configChanges);
    public List<int> UsedBuffers { get; } = [];

    public void SignalUsedBuffers(int queue)
    {
        lock (UsedBuffers) UsedBuffers.Add(queue);
    }

    public void SignalConfigChange() => Interlocked.Increment(ref _configChanges);
}
