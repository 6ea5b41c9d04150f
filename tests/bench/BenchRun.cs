using System.Diagnostics;

namespace Glue.Bench;

/// <summary>
/// The bench: glue beside its peers (a minimal C VMM of our own, the floor; QEMU microvm; the host's page cache)
/// case by case, the contestants of a case taking turns run by run so that both see the same machine load. Prints
/// medians, min-max and ratios with their targets, and writes artifacts/bench/results.json and
/// artifacts/bench/ratios.svg. A case that fails says so in its row; the others still run.
/// </summary>
public static class BenchRun
{
    public static int Run(BenchSettings settings)
    {
        if (KvmHost.IsSoftware)
            Console.WriteLine("    every figure below was measured inside the software KVM host (QEMU TCG): compare ratios, not times");
        // glue's control sockets (and vsock locks) go to a runtime directory of the bench's own.
        var runtime = Directory.CreateTempSubdirectory("glue-bench-run-");
        Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", runtime.FullName);
        try
        {
            using var scratch = BenchScratch.Mount();
            return RunCases(settings);
        }
        finally
        {
            runtime.Delete(recursive: true);
        }
    }

    private static int RunCases(BenchSettings settings)
    {
        string directory = settings.Directory;
        bool quick = settings.Quick;
        string? only = settings.Only;

        BenchCase[] cases =
        [
            new BenchExitsCase(settings),
            new BenchStartupCase(settings),
            new BenchSizeCase(settings),
            .. BlockDisk.All.Select(disk => new BenchBlockCase(settings, BlockTransport.Mmio, disk)),
            new BenchDensityCase(settings),
            new BenchNetCase(settings),
            new BenchVsockCase(settings),
            new BenchLifecycleCase(settings),
            new BenchSnapshotCase(settings),
            new BenchDisplayCase(settings),
            new BenchVhostUserCase(settings),
            new BenchFsCase(settings, "auto"),
            new BenchFsCase(settings, "never"),
            new BenchFsCase(settings, "metadata"),
        ];
        if (only is not null && cases.All(c => c.Name != only))
            throw new BenchUsageError($"bench has no case '{only}'; its cases: {string.Join(", ", cases.Select(c => c.Name))}");
        var figures = new List<BenchFigure>();
        foreach (var benchCase in cases.Where(c => only is null ? c.InDefaultRun || settings.Wide : c.Name == only))
        {
            using (benchCase)
            {
                var caseFigures = RunCase(benchCase, settings.Rounds);
                BenchReport.PrintTable(caseFigures, Console.Out);
                figures.AddRange(caseFigures);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"==> bench: {settings.Rounds} rounds{(quick ? " (--quick)" : "")}, contestants alternating; ratio = glue / peer (medians)");
        BenchReport.PrintTable(figures, Console.Out);
        BenchReport.WriteJson(Path.Combine(directory, "results.json"), figures, settings.Rounds, quick);
        BenchChart.Write(Path.Combine(directory, "ratios.svg"), figures);
        Console.WriteLine($"wrote {Path.Combine(directory, "results.json")} and {Path.Combine(directory, "ratios.svg")}");
        return figures.Any(f => f.Failure is not null) ? 1 : 0;
    }

    /// <summary>
    /// One round of one contestant, its figures added to <paramref name="samples"/>; null, or why it failed. In the
    /// software KVM host a run that fails is run once more and said, as the tests are there (tests/host/README.md):
    /// its emulated SVM now and then faults or hangs a guest that runs on hardware, whichever VMM runs it.
    /// </summary>
    private static string? RunRound(BenchCase benchCase, string contestant, int round, Dictionary<string, List<double>> samples)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var (metric, value) in benchCase.Run(contestant))
                {
                    if (!samples.TryGetValue(metric, out var list)) samples[metric] = list = [];
                    list.Add(value);
                }
                return null;
            }
            catch (BenchFailure error)
            {
                if (!KvmHost.IsSoftware || attempt == 2) return $"failed: {error.Message}";
                string said = error.Message.Length > 160 ? "..." + error.Message[^160..] : error.Message;
                Console.WriteLine($"    {contestant}, round {round + 1}, failed in the software KVM host; running it again. It said: {said.ReplaceLineEndings(" ")}");
            }
        }
    }

    private static List<BenchFigure> RunCase(BenchCase benchCase, int rounds)
    {
        Console.WriteLine($"==> bench {benchCase.Name}");
        var samples = benchCase.Contestants.ToDictionary(c => c, _ => new Dictionary<string, List<double>>());
        var failures = new Dictionary<string, string>();
        foreach (var contestant in benchCase.Contestants)
            if (benchCase.Missing(contestant) is { } missing) failures[contestant] = $"missing: {missing}";
        var clock = Stopwatch.StartNew();
        try
        {
            benchCase.Prepare();
            for (int round = 0; round < benchCase.Rounds(rounds); round++)
            {
                foreach (var contestant in benchCase.Contestants.Where(c => !failures.ContainsKey(c)))
                {
                    if (RunRound(benchCase, contestant, round, samples[contestant]) is { } failure) failures[contestant] = failure;
                }
            }
        }
        catch (BenchFailure error)
        {
            failures.TryAdd(BenchCase.Glue, $"failed preparing the case: {error.Message}");
        }
        Console.WriteLine($"    ({clock.Elapsed.TotalSeconds:F1} s)");

        Series? SeriesOf(string contestant, string metric) =>
            samples[contestant].TryGetValue(metric, out var values) ? new Series(values) : null;
        return benchCase.Comparisons.Select(c => new BenchFigure(
            benchCase.Name, c, SeriesOf(BenchCase.Glue, c.Metric), SeriesOf(c.Peer, c.Metric),
            failures.GetValueOrDefault(c.Peer), failures.GetValueOrDefault(BenchCase.Glue))).ToList();
    }
}
