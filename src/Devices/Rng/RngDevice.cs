using Glue.Core.Interop;
using System.Text.Json.Nodes;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Virtio;

namespace Glue.Devices.Rng;

/// <summary>
/// The entropy device (virtio 1.2 §5.4): one queue, no config, no feature bits. Each chain's writable buffers are
/// filled from getrandom(2) straight into guest memory, with nothing allocated per request.
/// </summary>
public sealed class RngDevice : IVirtioDevice, ISnapshotPart
{
    public const ushort QueueSize = 256;

    /// <summary>A request may be filled in part (§5.4.6): this bounds how long one request holds the thread.</summary>
    public const int MaxBytesPerRequest = 1 << 20;

    private VirtioActivation? _activation;

    public uint DeviceId => VirtioIds.VIRTIO_ID_RNG;

    public string Name => "rng";

    public uint PciClass => PciClassCodes.PCI_CLASS_OTHERS;

    public ulong Features => 0;

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize];

    public int ConfigSize => 0;

    public void ReadConfig(int offset, Span<byte> data) => data.Clear();

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(VirtioActivation activation) => _activation = activation;

    public void QueueNotify(int queue)
    {
        if (_activation is not { } activation || queue != 0) return;
        var requests = activation.Queues[0];
        do
        {
            requests.DisableNotification();
            while (requests.TryPop(out var chain))
            {
                var writer = chain.Writer;
                while (writer.Position < MaxBytesPerRequest)
                {
                    var span = writer.GetSpan((int)(MaxBytesPerRequest - writer.Position));
                    if (span.IsEmpty) break;
                    GetRandom.Fill(span);
                    writer.Advance((ulong)span.Length);
                }
                requests.AddUsed(chain.Head, (uint)writer.Position);
            }
        } while (requests.EnableNotification());
        activation.SignalUsedIfNeeded(0);
    }

    public void Reset() => _activation = null;

    /// <summary>Nothing of its own: each request is served whole as it is popped.</summary>
    public JsonObject Save() => [];

    public void Restore(JsonObject state)
    {
    }
}
