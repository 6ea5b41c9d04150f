using System.Globalization;

namespace Glue.Build;

/// <summary>
/// The `bench` target: makes what the bench (tests/bench, docs/bench.md) measures, then runs it where KVM is: the
/// full manifest's glue and the test guests, and for a full run of every case each manifest's glue (its binary-size
/// case). Where KVM is the software host, this boots it and the bench's VMMs run in it (tests/bench/BenchProcess.cs).
/// The bench reads its choices from the environment (tests/bench/BenchSettings.cs).
/// </summary>
public sealed class BenchTarget(Repository repository)
{
    public int Run(bool quick, int? rounds, string? only)
    {
        var steps = new BuildSteps(repository);
        steps.Publish(repository.DefaultManifest());
        steps.BuildGuest();
        if (!quick && only is null)
        {
            foreach (var manifest in repository.Manifests())
                steps.Publish(manifest);
        }
        steps.Build(repository.BenchProject);

        var kvm = KvmChoice.Make();
        Console.WriteLine($"==> {kvm}");
        using var host = kvm.InSoftwareHost ? steps.StartSoftwareKvmHost() : null;
        var environment = new Dictionary<string, string>(host?.Environment ?? new Dictionary<string, string>());
        if (quick)
            environment["GLUE_BENCH_QUICK"] = "1";
        if (rounds is { } count)
            environment["GLUE_BENCH_ROUNDS"] = count.ToString(CultureInfo.InvariantCulture);
        if (only is not null)
            environment["GLUE_BENCH_CASE"] = only;
        return Command.Run("dotnet", ["run", "--project", repository.BenchProject, "-c", "Release", "--no-build"], environment);
    }
}
