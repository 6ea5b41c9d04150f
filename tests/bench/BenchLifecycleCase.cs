using System.Diagnostics;

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
            using var qmp = contestant == Glue ? null : QmpConnection.Connect(socket);
            var pause = Time(() => { if (qmp is null) GlueControl.Send(socket, GlueControl.PauseRequest); else qmp.Execute("stop"); });
            Thread.Sleep(30); // a line the UART had already taken may still come out
            int held = Counted(vm);
            Thread.Sleep(200);
            if (Counted(vm) != held) throw new BenchFailure("the guest kept printing while paused");
            var resume = Time(() => { if (qmp is null) GlueControl.Send(socket, GlueControl.ResumeRequest); else qmp.Execute("cont"); });
            vm.WaitFor(() => Counted(vm) > held, "a counter line after the resume", TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            if (qmp is null) GlueControl.Send(socket, GlueControl.StopRequest); else qmp.Execute("quit");
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
}
