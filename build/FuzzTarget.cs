using System.Globalization;

namespace Glue.Build;

/// <summary>
/// `./build.sh fuzz TARGET|all [--minutes N]`: a coverage-guided campaign with AFL++ on one target of
/// tests/fuzz (Glue.Fuzz) for N minutes (default 5). Glue.Fuzz is published, its Glue assemblies are
/// instrumented in place with the SharpFuzz tool (.config/dotnet-tools.json), and afl-fuzz runs it in
/// persistent mode from the target's seed corpus tests/fuzz/corpus/TARGET/. The campaign's figures come from
/// AFL's fuzzer_stats; its findings stay in artifacts/fuzz/TARGET/default/crashes and hangs, and the exit is
/// 1 when there is any. `./build.sh test` replays the corpus without AFL (tests/Glue.Tests/Fuzz).
/// </summary>
public sealed class FuzzTarget(Repository repository)
{
    private string FuzzProject => Path.Combine(repository.Root, "tests", "fuzz", "Glue.Fuzz.csproj");
    private string Corpus => Path.Combine(repository.Root, "tests", "fuzz", "corpus");
    private string Output => Path.Combine(repository.Artifacts, "fuzz");
    private string Binaries => Path.Combine(Output, "bin");

    public static int Run(Repository repository, string[] arguments)
    {
        var (target, minutes) = arguments switch
        {
            [var t] => (t, 5),
            [var t, "--minutes", var n] when int.TryParse(n, out int m) && m > 0 => (t, m),
            _ => throw new UsageError("fuzz takes TARGET (or all) and optionally --minutes N"),
        };
        return new FuzzTarget(repository).Campaign(target, minutes);
    }

    private int Campaign(string target, int minutes)
    {
        var targets = target == "all"
            ? Directory.GetDirectories(Corpus).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
            : [target];
        foreach (var name in targets)
        {
            if (!Directory.Exists(Path.Combine(Corpus, name!)))
                throw new UsageError($"no fuzz target '{name}' (the targets are the folders of tests/fuzz/corpus)");
        }
        if (Command.Run("sh", ["-c", "command -v afl-fuzz >/dev/null"]) != 0)
            throw new BuildFailure("afl-fuzz is not installed: apt-get install afl++");
        Instrument();
        int findings = 0;
        foreach (var name in targets) findings += Fuzz(name!, minutes);
        return findings == 0 ? 0 : 1;
    }

    /// <summary>Publishes Glue.Fuzz and instruments every Glue assembly but the harness itself.</summary>
    private void Instrument()
    {
        if (Directory.Exists(Binaries)) Directory.Delete(Binaries, recursive: true);
        Command.Check("dotnet", ["publish", FuzzProject, "-c", "Release", "-v:quiet", "-o", Binaries]);
        Command.Check("dotnet", ["tool", "restore", "--tool-manifest", Path.Combine(repository.Root, ".config", "dotnet-tools.json")]);
        foreach (var assembly in Directory.GetFiles(Binaries, "Glue.*.dll").Where(a => Path.GetFileName(a) != "Glue.Fuzz.dll").Order(StringComparer.Ordinal))
            Command.Check("dotnet", ["tool", "run", "sharpfuzz", assembly]);
    }

    /// <summary>One campaign; returns the number of crashes and hangs it saved.</summary>
    private int Fuzz(string name, int minutes)
    {
        string findings = Path.Combine(Output, name);
        if (Directory.Exists(findings)) Directory.Delete(findings, recursive: true);
        Console.WriteLine($"==> fuzz {name} for {minutes} min");
        var environment = new Dictionary<string, string>
        {
            ["AFL_SKIP_BIN_CHECK"] = "1",                        // dotnet is not instrumented; the Glue assemblies are
            ["AFL_NO_UI"] = "1",
            ["AFL_SKIP_CPUFREQ"] = "1",
            ["AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES"] = "1",     // a core_pattern that pipes to a handler is fine here
        };
        int status = Command.Run("afl-fuzz", [
            "-i", Path.Combine(Corpus, name), "-o", findings, "-t", "5000", "-m", "none", "-V", (minutes * 60).ToString(CultureInfo.InvariantCulture),
            "--", "dotnet", Path.Combine(Binaries, "Glue.Fuzz.dll"), name], environment);
        var stats = Stats(Path.Combine(findings, "default", "fuzzer_stats"));
        if (status != 0 || stats.Count == 0) throw new BuildFailure($"afl-fuzz on {name} exited with status {status}");
        int crashes = int.Parse(stats["saved_crashes"], CultureInfo.InvariantCulture);
        int hangs = int.Parse(stats["saved_hangs"], CultureInfo.InvariantCulture);
        Console.WriteLine($"{name}: {stats["execs_done"]} executions ({stats["execs_per_sec"]}/s), map coverage {stats["bitmap_cvg"]} " +
            $"({stats["edges_found"]} edges), {stats["corpus_count"]} paths, {crashes} crashes, {hangs} hangs");
        if (crashes + hangs > 0)
            Console.WriteLine($"  findings in {Path.Combine(findings, "default")}/crashes and hangs: replay one with " +
                $"dotnet {Path.Combine(Binaries, "Glue.Fuzz.dll")} {name} FILE");
        return crashes + hangs;
    }

    private static Dictionary<string, string> Stats(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Select(line => line.Split(':', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim())
            : [];
}
