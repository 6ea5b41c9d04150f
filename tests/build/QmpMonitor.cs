using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Glue.BuildTests;

/// <summary>
/// QEMU's machine protocol (QMP, docs/interop/qmp-spec.rst) over a Unix socket: one JSON object per line; after
/// the greeting, qmp_capabilities, then commands, each answered by "return" or "error" (events in between skipped).
/// </summary>
public sealed class QmpMonitor : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private QmpMonitor(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(stream);
        _writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>Connects to QEMU's `-qmp unix:PATH,server=on,wait=off` once it listens, and leaves capabilities negotiation.</summary>
    /// <param name="inKvmHost">True for a QEMU with -enable-kvm, which runs in the KVM host (<see cref="KvmHost"/>).</param>
    public static async Task<QmpMonitor> ConnectAsync(string path, TimeSpan limit, bool inKvmHost)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            Socket? socket = null;
            try
            {
                socket = inKvmHost ? await KvmHost.ConnectAsync(path) : await KvmHost.ConnectHereAsync(path);
                var monitor = new QmpMonitor(socket);
                await monitor._reader.ReadLineAsync();   // the greeting
                await monitor.ExecuteAsync("qmp_capabilities");
                return monitor;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket?.Dispose();
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Runs one command; returns its "return" value, or throws with QEMU's error.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null) request["arguments"] = arguments;
        await _writer.WriteLineAsync(request.ToJsonString());
        while (await _reader.ReadLineAsync() is { } line)
        {
            var answer = JsonNode.Parse(line)!.AsObject();
            if (answer.TryGetPropertyValue("return", out var value)) return value;
            if (answer.TryGetPropertyValue("error", out var error)) throw new InvalidOperationException($"QMP {command}: {error!.ToJsonString()}");
        }
        throw new IOException($"QMP {command}: QEMU closed the monitor");
    }

    public void Dispose()
    {
        _reader.Dispose();
        _writer.Dispose();
        _socket.Dispose();
    }
}
