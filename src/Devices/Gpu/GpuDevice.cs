using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Display;
using Glue.Virtio;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Devices.Gpu;

/// <summary>
/// The GPU device (virtio 1.2 §5.7), 2D only, with one scanout shown on a <see cref="DisplaySurface"/>: the
/// control queue carries the commands of <see cref="GpuCommands"/>, the cursor queue UPDATE_CURSOR and
/// MOVE_CURSOR. Each request's readable part is copied once into a buffer of the device's own and parsed from
/// there, so the guest cannot change it under the checks; nothing is allocated per request.
///
/// The device knows only its surface, not the machine: `glue run` passes the machine's display, `glue device gpu`
/// one of its own.
/// </summary>
public sealed class GpuDevice : IVirtioDevice, IDisplayDevice, ISnapshotPart, IDisposable
{
    public const ushort ControlQueueSize = 256;
    public const ushort CursorQueueSize = 16;

    private readonly DisplaySurface _surface;
    private readonly GpuOptions _options;
    private readonly byte[] _request = new byte[GpuCommands.MaxRequestBytes];
    private readonly byte[] _response = new byte[GpuCommands.MaxResponseBytes];
    private VirtioActivation? _activation;
    private GpuCommands? _commands;
    private readonly List<IDisposable> _servers = [];
    private byte[][]? _restoring;   // a snapshot's commands, replayed once the restored device is active

    public GpuDevice(DisplaySurface surface, GpuOptions options)
    {
        _surface = surface;
        _options = options;
        surface.Resize(options.Width, options.Height);
    }

    public DisplaySurface Surface => _surface;

    /// <summary>A display server of this device's surface (a VNC server) that ends with the device.</summary>
    public void Own(IDisposable server) => _servers.Add(server);

    public void Dispose()
    {
        foreach (var server in _servers) server.Dispose();
        _servers.Clear();
    }

    public uint DeviceId => VirtioIds.VIRTIO_ID_GPU;

    public string Name => "gpu";

    public uint PciClass => PciClassCodes.PCI_CLASS_DISPLAY_OTHER;

    public ulong Features => VirtioFeatures.Bit(VIRTIO_GPU_F_EDID);

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [ControlQueueSize, CursorQueueSize];

    public int ConfigSize => VirtioGpu.ConfigSize;

    /// <summary>The commands of the running device (null before DRIVER_OK and after a reset).</summary>
    internal GpuCommands? Commands => _commands;

    /// <summary>
    /// events_read is always 0: Glue never changes the display behind the driver's back (a host-side resize would
    /// set VIRTIO_GPU_EVENT_DISPLAY); one scanout, no capability sets (no 3D).
    /// </summary>
    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[VirtioGpu.ConfigSize];
        config.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigNumScanouts..], 1);
        config.Slice(offset, data.Length).CopyTo(data);
    }

    /// <summary>events_clear (write 1 to clear) has nothing to clear; the rest is read-only.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        _commands = new GpuCommands(activation.Memory, _surface, _options.Width, _options.Height, _options.MaxMemory,
            activation.HasFeature(VIRTIO_GPU_F_EDID));
    }

    public void QueueNotify(int queue)
    {
        if (_activation is not { } activation || _commands is not { } commands || queue is not (ControlQueue or CursorQueue)) return;
        var requests = activation.Queues[queue];
        do
        {
            requests.DisableNotification();
            while (requests.TryPop(out var chain))
            {
                int length = chain.Reader.Read(_request);
                var request = _request.AsSpan(0, length);
                int answer = queue == ControlQueue ? commands.ExecuteControl(request, _response) : commands.ExecuteCursor(request, _response);
                // A driver that left less room than the answer gets what fits; Linux's cursor requests leave none.
                int written = chain.Writer.Write(_response.AsSpan(0, answer));
                requests.AddUsed(chain.Head, (uint)written);
            }
        } while (requests.EnableNotification());
        activation.SignalUsedIfNeeded(queue);
    }

    /// <summary>The resources and the scanout (<see cref="GpuSnapshot"/>); none before the driver started the device.</summary>
    public JsonObject Save() => _commands is { } commands ? GpuSnapshot.Save(commands) : new JsonObject { ["resources"] = new JsonArray() };

    public void Restore(JsonObject state) => _restoring = GpuSnapshot.Requests(state);

    /// <summary>On the I/O thread, once active: the screen comes back. A snapshot the device refuses breaks the device, not glue.</summary>
    public void AfterRestore()
    {
        var requests = Interlocked.Exchange(ref _restoring, null);
        if (requests is null || _activation is not { } activation || _commands is not { } commands) return;
        if (GpuSnapshot.Replay(commands, requests) is { } problem) activation.ReportDeviceError(problem);
    }

    public void Reset()
    {
        _commands?.Reset();
        _commands = null;
        _activation = null;
    }
}
