using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Glue.Bench;

/// <summary>
/// Pause, resume and stop latency of a running VM (the test guest's counter mode, which prints a line every
/// 5 ms), through the VMM's own control channel: glue's control socket (docs/control-protocol.md) and QEMU's
/// QMP (`stop`, `cont`, `quit`). Pause and resume: from connecting to the reply; stop: from the request to the
/// process's end. A pause counts only if the guest's output then stops, and a resume only if it starts again.
/// </summary>
public sealed class BenchLifecycleCase(BenchSettings settings) : BenchCase
{
    private const string Pause = "pause", Resume = "resume", Stop = "stop to exit";
    private const ushort ControlVersion = 1, PauseRequest = 2, ResumeRequest = 3, StopRequest = 4;

    public override string Name => "pause/resume/stop";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(Pause, "ms", false, Qemu),
        new(Resume, "ms", false, Qemu),
        new(Stop, "ms", false, Qemu),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        string name = $"bench-{Guid.NewGuid().ToString("N")[..12]}";
        string socket = contestant == Glue
            ? Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR")!, "glue", name + ".sock")
            : Path.Combine(settings.Directory, name + ".qmp");
        using var vm = contestant == Glue
            ? BenchProcess.Start(settings.Glue, ["run", "-n", name, "-m", "512", "-k", settings.Guest, "-p", "glue.mode=counter"])
            : BenchProcess.Start(BenchQemu.Program, BenchQemu.Guest(settings.Guest, "glue.mode=counter", "-qmp", $"unix:{socket},server=on,wait=off"));
        try
        {
            vm.WaitFor(() => File.Exists(socket) && Counted(vm) >= 3, "the guest's third counter line", TimeSpan.FromSeconds(30));
            using var qmp = contestant == Glue ? null : Qmp.Connect(socket);
            var pause = Time(() => { if (qmp is null) Control(socket, PauseRequest); else qmp.Execute("stop"); });
            Thread.Sleep(30); // a line the UART had already taken may still come out
            int held = Counted(vm);
            Thread.Sleep(200);
            if (Counted(vm) != held) throw new BenchFailure("the guest kept printing while paused");
            var resume = Time(() => { if (qmp is null) Control(socket, ResumeRequest); else qmp.Execute("cont"); });
            vm.WaitFor(() => Counted(vm) > held, "a counter line after the resume", TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            if (qmp is null) Control(socket, StopRequest); else qmp.Execute("quit");
            vm.Finish(TimeSpan.FromSeconds(30));
            var stop = clock.Elapsed;
            return new Dictionary<string, double>
            {
                [Pause] = pause.TotalMilliseconds,
                [Resume] = resume.TotalMilliseconds,
                [Stop] = stop.TotalMilliseconds,
            };
        }
        finally
        {
            if (contestant == Qemu) File.Delete(socket);
        }
    }

    private static int Counted(BenchProcess vm) => vm.LinesStartingWith("GLUE-COUNTER ");

    private static TimeSpan Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed;
    }

    /// <summary>One request on glue's control socket: an 8-byte header (version, type, payload length), then the reply.</summary>
    private static void Control(string path, ushort request)
    {
        using var socket = KvmHost.ConnectAsync(path).GetAwaiter().GetResult();
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(header, ControlVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), request);
        socket.Send(header);
        ReceiveExactly(socket, header);
        ushort status = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));
        var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4))];
        ReceiveExactly(socket, payload);
        if (status != 0) throw new BenchFailure($"control request {request}: status {status} ({Encoding.UTF8.GetString(payload)})");
    }

    private static void ReceiveExactly(Socket socket, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n == 0) throw new BenchFailure("the control socket closed before the reply");
            got += n;
        }
    }

    /// <summary>A QMP connection (QEMU's docs/interop/qmp-spec): the greeting, capabilities, then commands one at a time.</summary>
    private sealed class Qmp : IDisposable
    {
        private readonly Socket _socket;
        private readonly StreamReader _reader;

        private Qmp(Socket socket)
        {
            _socket = socket;
            _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
        }

        public static Qmp Connect(string path)
        {
            var socket = KvmHost.ConnectAsync(path).GetAwaiter().GetResult();
            var qmp = new Qmp(socket);
            qmp.ReadUntil("\"QMP\"");
            qmp.Execute("qmp_capabilities");
            return qmp;
        }

        /// <summary>Sends the command and waits for its return (events that come first are skipped).</summary>
        public void Execute(string command)
        {
            _socket.Send(Encoding.UTF8.GetBytes($"{{\"execute\": \"{command}\"}}\n"));
            ReadUntil("\"return\"");
        }

        private void ReadUntil(string marker)
        {
            while (_reader.ReadLine() is { } line)
            {
                if (line.Contains("\"error\"", StringComparison.Ordinal)) throw new BenchFailure($"QMP: {line}");
                if (line.Contains(marker, StringComparison.Ordinal)) return;
            }
            throw new BenchFailure($"QMP closed before {marker}");
        }

        public void Dispose()
        {
            _reader.Dispose();
            _socket.Dispose();
        }
    }
}
