using System.Globalization;

namespace Glue.Bench;

/// <summary>
/// What every case needs: the programs under test, the guest, where to put files, and how long to run. The glue
/// and the test guests are where `./build.sh bench` made them (the full manifest's publish, artifacts/guest,
/// artifacts/linux); its choices come in the environment: GLUE_BENCH_QUICK=1 (--quick), GLUE_BENCH_ROUNDS,
/// GLUE_BENCH_CASE (--case), GLUE_BENCH_WIDE=1 (the cases a default run leaves out too, such as the blk case's
/// cache=none setups), and, where KVM is the software host, GLUE_HOST_AGENT and GLUE_HOST_EXEC (see KvmHost).
/// GLUE_BENCH_GLUE, set by hand only, names another glue to measure in place of the publish (a script that runs it
/// with `--seccomp=off`, say: docs/security.md).
/// </summary>
public sealed record BenchSettings(bool Quick, int Rounds, string? Only, bool Wide, string Glue, string Guest, string Floor, string Directory, Repository Repository)
{
    /// <summary>Workload sizes: the quick run's are a fraction of the full run's.</summary>
    public int Scale(int full, int quick) => Quick ? quick : full;

    /// <summary>The settings of this run; builds the floor VMM into artifacts/bench.</summary>
    public static BenchSettings FromEnvironment(Repository repository)
    {
        bool quick = Environment.GetEnvironmentVariable("GLUE_BENCH_QUICK") == "1";
        int rounds = Environment.GetEnvironmentVariable("GLUE_BENCH_ROUNDS") is { Length: > 0 } text
            ? int.TryParse(text, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new BenchUsageError($"GLUE_BENCH_ROUNDS={text} is not a positive number")
            : quick ? 3 : 10;
        string? only = Environment.GetEnvironmentVariable("GLUE_BENCH_CASE") is { Length: > 0 } name ? name : null;
        bool wide = Environment.GetEnvironmentVariable("GLUE_BENCH_WIDE") == "1";
        string glue = Existing(Environment.GetEnvironmentVariable("GLUE_BENCH_GLUE") is { Length: > 0 } other
            ? Path.GetFullPath(other) : repository.GlueBinary(repository.DefaultManifest()));
        string guest = Existing(repository.GuestElf);
        string directory = Path.Combine(repository.Artifacts, "bench");
        System.IO.Directory.CreateDirectory(directory);
        return new BenchSettings(quick, rounds, only, wide, glue, guest, BenchFloor.Build(repository, directory), directory, repository);
    }

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new BenchFailure($"{path} is missing: ./build.sh bench makes it before it runs the bench");
}
