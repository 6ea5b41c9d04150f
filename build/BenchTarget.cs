using System.Diagnostics;

namespace Glue.Build;

/// <summary>What every case needs: the programs under test, the guest, where to put files, and how long to run.</summary>
public sealed record BenchSettings(bool Quick, int Rounds, string Glue, string Guest, string Floor, string Directory, Repository Repository)
{
    /// <summary>Workload sizes: the quick run's are a fraction of the full run's.</summary>
    public int Scale(int full, int quick) => Quick ? quick : full;
}

/// <summary>
/// The `bench` target: glue beside its peers (a minimal C VMM of our own, the floor; QEMU microvm; the host's
/// page cache) case by case, the contestants of a case taking turns run by run so that both see the same machine
/// load. Prints medians, min-max and ratios with the targets of issue 11, and writes artifacts/bench/results.json
/// and artifacts/bench/ratios.svg. A case that fails says so in its row; the others still run.
/// </summary>
public sealed class BenchTarget(Repository repository)
{
    public int Run(bool quick, int? rounds, string? only = null)
    {
        var steps = new BuildSteps(repository);
        string glue = steps.Publish(repository.DefaultManifest());
        string guest = steps.BuildGuest();
        string directory = Path.Combine(repository.Artifacts, "bench");
        Directory.CreateDirectory(directory);
        string floor = BenchFloor.Build(repository, directory);
        var settings = new BenchSettings(quick, rounds ?? (quick ? 3 : 10), glue, guest, floor, directory, repository);
        // The VMMs run where KVM is: without hardware KVM, in the software KVM host, where QEMU runs with -enable-kvm too.
        var kvm = KvmChoice.Make();
        Console.WriteLine($"==> {kvm}");
        using var host = kvm.InSoftwareHost ? steps.StartSoftwareKvmHost() : null;
        foreach (var (name, value) in host?.Environment ?? new Dictionary<string, string>())
            Environment.SetEnvironmentVariable(name, value);
        if (host is not null)
            Console.WriteLine("    every figure below was measured inside the software KVM host (QEMU TCG): compare ratios, not times");
        // glue's control sockets (and vsock locks) go to a runtime directory of the bench's own.
        var runtime = Directory.CreateTempSubdirectory("glue-bench-run-");
        Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", runtime.FullName);
        try
        {
            return RunCases(settings, only);
        }
        finally
        {
            runtime.Delete(recursive: true);
        }
    }

    private static int RunCases(BenchSettings settings, string? only)
    {
        string directory = settings.Directory;
        bool quick = settings.Quick;

        BenchCase[] cases =
        [
            new BenchExitsCase(settings),
            new BenchStartupCase(settings),
            new BenchSizeCase(settings),
            new BenchBlockCase(settings, BlockTransport.Mmio),
            new BenchDensityCase(settings),
            new BenchNetCase(settings),
            new BenchVsockCase(settings),
            new BenchLifecycleCase(settings),
            new BenchDisplayCase(settings),
            new BenchVhostUserCase(settings),
        ];
        if (only is not null && cases.All(c => c.Name != only))
            throw new UsageError($"bench has no case '{only}'; its cases: {string.Join(", ", cases.Select(c => c.Name))}");
        var figures = new List<BenchFigure>();
        foreach (var benchCase in cases.Where(c => only is null || c.Name == only))
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
                    try
                    {
                        foreach (var (metric, value) in benchCase.Run(contestant))
                        {
                            if (!samples[contestant].TryGetValue(metric, out var list)) samples[contestant][metric] = list = [];
                            list.Add(value);
                        }
                    }
                    catch (BuildFailure error)
                    {
                        failures[contestant] = $"failed: {error.Message}";
                    }
                }
            }
        }
        catch (BuildFailure error)
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
