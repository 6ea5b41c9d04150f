using System.Text.Json.Nodes;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;

namespace Glue.Devices.VirtioConsole;

/// <summary>
/// virtio-console (virtio 1.2 §5.3) with one port and no optional features: receiveq0 carries host input to the
/// guest, transmitq0 the guest's output to <c>output</c>. The config space (cols, rows, max_nr_ports,
/// emerg_wr) reads as zeros: without VIRTIO_CONSOLE_F_SIZE and _F_MULTIPORT the driver does not use it.
///
/// Input comes from the stdin thread through <see cref="Receive"/> into a bounded <see cref="InputBuffer"/>,
/// and an eventfd wakes the I/O thread, which fills receive buffers only while it has both bytes and buffers;
/// bytes that find no buffer wait for the driver's next receiveq kick.
/// </summary>
public sealed class VirtioConsoleDevice : IVirtioDevice, ISnapshotPart, IDisposable
{
    public const int ReceiveQueue = 0;
    public const int TransmitQueue = 1;
    public const int InputCapacity = 64 * 1024;
    private const int ConfigBytes = 12; // struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr

    private readonly Stream _output;
    private readonly InputBuffer _input = new(InputCapacity);
    private readonly EventFd _inputReady = new();
    private VirtioActivation? _activation;
    private EventRegistration? _inputRegistration;

    public VirtioConsoleDevice(Stream output) => _output = output;

    public uint DeviceId => VirtioIds.VIRTIO_ID_CONSOLE;
    public string Name => "console";

    public uint PciClass => PciClassCodes.PCI_CLASS_COMMUNICATION_OTHER;
    public ulong Features => 0;
    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [256, 256];
    public int ConfigSize => ConfigBytes;

    /// <summary>Input bytes dropped because the guest took none for <see cref="InputCapacity"/> bytes.</summary>
    public long DroppedInput => _input.Dropped;

    public void ReadConfig(int offset, Span<byte> data) => data.Clear();

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) { } // emerg_wr without VIRTIO_CONSOLE_F_EMERG_WRITE: ignored

    /// <summary>Host input (the stdin thread): held until the guest has receive buffers for it.</summary>
    public void Receive(ReadOnlySpan<byte> bytes)
    {
        _input.Write(bytes);
        _inputReady.Signal();
    }

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        _inputRegistration = activation.IoThread.Register(_inputReady.Handle, () =>
        {
            _inputReady.Drain();
            FillReceiveBuffers();
        });
        FillReceiveBuffers(); // input that came before the driver was ready
    }

    public void QueueNotify(int queue)
    {
        if (queue == ReceiveQueue) FillReceiveBuffers();
        else if (queue == TransmitQueue) Transmit();
    }

    public void Reset()
    {
        _inputRegistration?.Dispose();
        _inputRegistration = null;
        _activation = null;
    }

    /// <summary>Copies held input into receive buffers, one chain after another, while there is input.</summary>
    private void FillReceiveBuffers()
    {
        if (_activation is null) return;
        var queue = _activation.Queues[ReceiveQueue];
        bool used = false;
        while (_input.Count > 0 && queue.TryPop(out var chain))
        {
            while (chain.Writer.Remaining > 0)
            {
                int n = _input.Read(chain.Writer.GetSpan());
                if (n == 0) break;
                chain.Writer.Advance((ulong)n);
            }
            queue.AddUsed(chain.Head, (uint)chain.Writer.Position);
            used = true;
        }
        // No buffer for what is left: the driver's next kick of the receive queue brings us back (EVENT_IDX sets
        // avail_event for it, else kicks are on).
        queue.EnableNotification();
        if (used) _activation.SignalUsedIfNeeded(ReceiveQueue);
    }

    private void Transmit()
    {
        if (_activation is null) return;
        var queue = _activation.Queues[TransmitQueue];
        do
        {
            queue.DisableNotification();
            while (queue.TryPop(out var chain))
            {
                while (chain.Reader.Remaining > 0)
                {
                    var bytes = chain.Reader.GetSpan();
                    _output.Write(bytes);
                    chain.Reader.Advance((ulong)bytes.Length);
                }
                queue.AddUsed(chain.Head, 0);
            }
            _output.Flush();
        } while (queue.EnableNotification());
        _activation.SignalUsedIfNeeded(TransmitQueue);
    }

    /// <summary>The host input the guest has not taken yet; it comes first after a restore.</summary>
    public JsonObject Save() => new() { ["input"] = Convert.ToBase64String(_input.Peek()) };

    public void Restore(JsonObject state)
    {
        byte[] input = state.Bytes("input");
        if (input.Length > InputCapacity) throw new SnapshotException($"'input' holds {input.Length} bytes, more than the {InputCapacity} the console keeps");
        _input.Write(input);
    }

    public void Dispose() => _inputReady.Dispose();
}
