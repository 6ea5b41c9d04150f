using System.Diagnostics;
using System.Net.Sockets;

namespace Glue.Bench;

/// <summary>
/// The display: the test guest draws its 1280x800 picture on virtio-gpu, then redraws a rectangle
/// <see cref="Flushes"/> times, <see cref="FlushIntervalMs"/> apart (glue.gpu-flushes), announcing each on the serial port just before its transfer and
/// flush. An RFB client of the bench reads the VM's VNC server: the bytes of one full-frame update in Raw and in ZRLE
/// (RFC 6143 §7.7.1, §7.7.6), and the time from the guest's line before a flush to the client's incremental update.
/// QEMU runs the same guest on its virtio-gpu-device with its own VNC server.
/// </summary>
public sealed class BenchDisplayCase(BenchSettings settings) : BenchCase
{
    private const int Flushes = 30, FlushIntervalMs = 100, MinimumUpdates = 5;
    private const int RawEncoding = 0, ZrleEncoding = 16;

    public override string Name => "display";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new("full frame, Raw", "KiB", false, Qemu),
        new("full frame, ZRLE", "KiB", false, Qemu),
        new("flush to update", "ms", false, Qemu),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    public override int Rounds(int rounds) => Math.Min(rounds, 3);

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var directory = Directory.CreateTempSubdirectory("glue-bench-display-");
        string vnc = Path.Combine(directory.FullName, "vnc.sock");
        string commandLine = $"glue.gpu=1280x800:{Flushes * FlushIntervalMs} glue.gpu-flushes={Flushes}";
        string[] arguments = contestant == Glue
            ? ["run", "-m", "512", "-k", settings.Guest, "-p", commandLine, "--gpu", "--vnc", $"unix:{vnc}"]
            : BenchQemu.Guest(settings.Guest, commandLine, [.. BenchQemu.VirtioMmio, "-device", "virtio-gpu-device", "-vnc", $"unix:{vnc}"]);
        var vm = BenchProcess.Start(contestant == Glue ? settings.Glue : BenchQemu.Program, arguments);
        try
        {
            vm.WaitFor(() => vm.LineArrived("GLUE-TEST gpu ") is not null, "gpu line from the guest", TimeSpan.FromSeconds(60));
            double raw;
            using (var rawClient = Connect(vnc, RawEncoding)) raw = FullFrameBytes(rawClient);
            using var client = Connect(vnc, ZrleEncoding);
            double zrle = FullFrameBytes(client);
            return new Dictionary<string, double>
            {
                ["full frame, Raw"] = raw / 1024,
                ["full frame, ZRLE"] = zrle / 1024,
                ["flush to update"] = MedianFlushToUpdate(vm, client),
            };
        }
        finally
        {
            vm.Dispose();
            directory.Delete(recursive: true);
        }
    }

    private static double FullFrameBytes(RfbTestClient client)
    {
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        return client.LastUpdateBytes;
    }

    private static RfbTestClient Connect(string vnc, int encoding)
    {
        var client = RfbTestClient.Over(KvmHost.ConnectAsync(vnc).GetAwaiter().GetResult());
        if (client.Handshake() is { } failure) throw new BenchFailure($"the VNC handshake failed: {failure}");
        client.SetEncodings(encoding);
        return client;
    }

    /// <summary>
    /// Each incremental update against the last flush line the guest printed before it arrived, until the guest has
    /// flushed for the last time (its VMM then ends, and the connection with it).
    /// </summary>
    private static double MedianFlushToUpdate(BenchProcess vm, RfbTestClient client)
    {
        var delays = new List<double>();
        while (vm.LineArrived($"GLUE-GPU-FLUSH {Flushes - 1}") is null)
        {
            client.RequestUpdate(incremental: true);
            try
            {
                client.ReadUpdate();
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                if (delays.Count >= MinimumUpdates) break;
                throw new BenchFailure($"the VNC client got {delays.Count} updates, then: {e.Message}");
            }
            if (vm.LineArrived("GLUE-GPU-FLUSH ", client.UpdateArrived) is { } flushed)
                delays.Add(Stopwatch.GetElapsedTime(flushed, client.UpdateArrived).TotalMilliseconds);
        }
        if (delays.Count < MinimumUpdates) throw new BenchFailure($"the VNC client got {delays.Count} updates for {Flushes} flushes");
        return new Series(delays).Median;
    }
}
