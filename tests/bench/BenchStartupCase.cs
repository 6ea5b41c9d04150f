using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// Start-up: the test guest's own tests on one vCPU (tests/guest/README.md), from just before the process is
/// spawned to its first byte of serial output (the guest's first line) and to the process's end, and its peak RSS.
/// A run counts only if every test passed.
/// </summary>
public sealed partial class BenchStartupCase(BenchSettings settings) : BenchCase
{
    private const string CommandLine = "glue.cpus=1";

    public override string Name => "start-up";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new("spawn to first output", "ms", false, Qemu, 0.5),
        new("spawn to exit", "ms", false, Qemu, 0.5),
        new("peak RSS", "MiB", false, Qemu, 0.25),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var timeout = TimeSpan.FromMinutes(1);
        var sample = contestant == Glue
            ? BenchProcess.Run(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, "-p", CommandLine], timeout)
            : BenchProcess.Run(BenchQemu.Program, BenchQemu.Guest(settings.Guest, CommandLine), timeout);
        ExpectAllPassed(sample);
        return new Dictionary<string, double>
        {
            ["spawn to first output"] = sample.FirstOutput.TotalMilliseconds,
            ["spawn to exit"] = sample.Exit.TotalMilliseconds,
            ["peak RSS"] = sample.PeakKiB / 1024.0,
        };
    }

    /// <summary>The guest's last line: GLUE-TEST-DONE with no test failed.</summary>
    public static void ExpectAllPassed(ProcessSample sample)
    {
        var done = sample.Line("GLUE-TEST-DONE");
        if (!AllPassed().IsMatch(done)) throw new BenchFailure($"the guest's tests failed: {ProcessSample.Tail(sample.Output)}");
    }

    [GeneratedRegex(@"^GLUE-TEST-DONE [1-9]\d* 0\s*$")]
    private static partial Regex AllPassed();
}
