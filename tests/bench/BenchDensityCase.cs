using System.Diagnostics;

namespace Glue.Bench;

/// <summary>
/// Density: 50 VMs (the test guest's tests on one vCPU each) started at once on this machine: all must finish
/// with every test passed; the wall time from the first spawn to the last exit, and the sum of their peak RSS.
/// </summary>
public sealed class BenchDensityCase(BenchSettings settings) : BenchCase
{
    private const int Vms = 50;
    private const string CommandLine = "glue.cpus=1";
    private const string Wall = "50 VMs at once, wall time";
    private const string Memory = "50 VMs at once, sum of peak RSS";

    public override string Name => "density";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(Wall, "s", false, Qemu),
        new(Memory, "MiB", false, Qemu, 0.25),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    public override int Rounds(int rounds) => settings.Quick ? 1 : 3;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var clock = Stopwatch.StartNew();
        var processes = Enumerable.Range(0, Vms).Select(_ => contestant == Glue
            ? BenchProcess.Start(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, "-p", CommandLine])
            : BenchProcess.Start(BenchQemu.Program, BenchQemu.Guest(settings.Guest, CommandLine))).ToList();
        try
        {
            var samples = processes.Select(p => p.Finish(TimeSpan.FromMinutes(3))).ToList();
            var wall = clock.Elapsed;
            foreach (var sample in samples) BenchStartupCase.ExpectAllPassed(sample);
            return new Dictionary<string, double>
            {
                [Wall] = wall.TotalSeconds,
                [Memory] = samples.Sum(s => s.PeakKiB) / 1024.0,
            };
        }
        finally
        {
            foreach (var process in processes) process.Dispose();
        }
    }
}
