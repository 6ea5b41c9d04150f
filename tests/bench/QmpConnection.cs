using System.Net.Sockets;
using System.Text;

namespace Glue.Bench;

/// <summary>A QMP connection (QEMU's docs/interop/qmp-spec): the greeting, capabilities, then commands one at a time.</summary>
public sealed class QmpConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;

    private QmpConnection(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
    }

    public static QmpConnection Connect(string path)
    {
        var socket = KvmHost.ConnectAsync(path).GetAwaiter().GetResult();
        var qmp = new QmpConnection(socket);
        qmp.ReadUntil("\"QMP\"");
        qmp.Execute("qmp_capabilities");
        return qmp;
    }

    /// <summary>
    /// Sends the command (with its arguments, a JSON object, if any) and waits for its return, which it gives back as
    /// QEMU wrote it (events that come first are skipped).
    /// </summary>
    public string Execute(string command, string? arguments = null)
    {
        string request = arguments is null ? $"{{\"execute\": \"{command}\"}}" : $"{{\"execute\": \"{command}\", \"arguments\": {arguments}}}";
        _socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        return ReadUntil("\"return\"");
    }

    private string ReadUntil(string marker)
    {
        while (_reader.ReadLine() is { } line)
        {
            if (line.Contains("\"error\"", StringComparison.Ordinal)) throw new BenchFailure($"QMP: {line}");
            if (line.Contains(marker, StringComparison.Ordinal)) return line;
        }
        throw new BenchFailure($"QMP closed before {marker}");
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }
}
