namespace Glue.Build;

/// <summary>The steps that targets are made of. Each one announces itself before it runs.</summary>
public sealed class BuildSteps(Repository repository)
{
    /// <summary>Publishes glue for a manifest and returns the binary's path.</summary>
    public string Publish(Manifest manifest)
    {
        Announce("publish glue", $"manifest {manifest.Name}");
        Command.Check("dotnet", "publish", repository.GlueProject, "-c", "Release", "-r", "linux-x64", "--nologo",
            "-v:minimal", $"-p:GlueManifest={manifest.Path}", "-o", repository.PublishDirectory(manifest));
        return ExistingOrFail(repository.GlueBinary(manifest));
    }

    /// <summary>Builds the test guest and returns the ELF's path.</summary>
    public string BuildGuest()
    {
        Announce("build the test guest");
        Command.Check("make", "-s", "-C", Path.Combine(repository.Root, "tests", "guest"), $"OUT={repository.GuestDirectory}");
        return ExistingOrFail(repository.GuestElf);
    }

    /// <summary>
    /// Makes the Linux test guest (a Debian kernel and a busybox initramfs) and returns its directory. Like make
    /// for the test guest, the script runs every time: it downloads and builds only when an output is missing or
    /// tests/linux changed (VERSION records a hash of that folder).
    /// </summary>
    public string BuildLinuxGuest()
    {
        Announce("build the Linux test guest");
        Command.Check(repository.LinuxGuestScript, repository.LinuxGuestDirectory);
        foreach (var file in Repository.LinuxGuestFiles)
            ExistingOrFail(Path.Combine(repository.LinuxGuestDirectory, file));
        return repository.LinuxGuestDirectory;
    }

    /// <summary>Compiles a test project once, so that each manifest's run of it can skip the build.</summary>
    public void BuildTests(string project)
    {
        Announce($"build {Path.GetFileNameWithoutExtension(project)}");
        Command.Check("dotnet", "build", project, "-c", "Release", "--nologo", "-v:minimal");
    }

    /// <summary>
    /// Runs `dotnet test` with a trx logger, whose counts are read back afterwards, and the console logger at
    /// normal verbosity so that the log names every test and the reason for every skip.
    /// </summary>
    public TestRun Test(string project, string runName, IEnumerable<string> options, IReadOnlyDictionary<string, string> environment)
    {
        Announce($"test {Path.GetFileNameWithoutExtension(project)}", runName);
        var results = Path.Combine(repository.TestResults, runName + ".trx");
        // A results file left by an earlier run must not stand in for this run's.
        Directory.CreateDirectory(repository.TestResults);
        File.Delete(results);
        string[] arguments =
        [
            "test", project, "-c", "Release", "--nologo",
            "--results-directory", repository.TestResults,
            "--logger", $"trx;LogFileName={runName}.trx",
            "--logger", "console;verbosity=normal",
            .. options,
        ];
        var status = Command.Run("dotnet", arguments, environment);
        return TestRun.Finished(runName, status, File.Exists(results) ? TestCounts.FromTrx(results) : null);
    }

    private static void Announce(string step, string? scope = null) =>
        Console.WriteLine(scope is null ? $"==> {step}" : $"==> {step} [{scope}]");

    private static string ExistingOrFail(string path) =>
        File.Exists(path) ? path : throw new BuildFailure($"the step succeeded but {path} is missing");
}
