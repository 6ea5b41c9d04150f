using System.Diagnostics;
using System.Globalization;

namespace Glue.Build;

/// <summary>
/// The steps that targets are made of. Each one announces itself before it runs and says how long it took. A step
/// that makes something runs at most once per invocation of the build program: a target and the targets it depends
/// on may all ask for the test guest or the same manifest's glue, and the later calls get the first one's result.
/// </summary>
public sealed class BuildSteps(Repository repository)
{
    private static readonly Dictionary<string, string> Made = [];

    /// <summary>
    /// Publishes glue for a manifest with Native AOT and returns the binary's path. The libraries it references
    /// are compiled once for all manifests (an up-to-date one is not rebuilt); the glue project and its native
    /// compile have one obj/ per manifest (src/Glue/Glue.csproj), so an unchanged manifest is not compiled again.
    /// </summary>
    public string Publish(Manifest manifest) => Once("publish glue", $"manifest {manifest.Name}", () =>
    {
        // The folder holds the executable alone: nothing an earlier publish left stays beside it.
        if (Directory.Exists(repository.PublishDirectory(manifest)))
            Directory.Delete(repository.PublishDirectory(manifest), recursive: true);
        Command.Check("dotnet", "publish", repository.GlueProject, "-c", "Release", "--nologo",
            "-v:minimal", $"-p:GlueManifest={manifest.Path}", "-o", repository.PublishDirectory(manifest));
        return ExistingOrFail(repository.GlueBinary(manifest));
    });

    /// <summary>Builds the test guest and returns the ELF's path.</summary>
    public string BuildGuest() => Once("build the test guest", null, () =>
    {
        Command.Check("make", "-s", "-C", Path.Combine(repository.Root, "tests", "guest"), $"OUT={repository.GuestDirectory}");
        return ExistingOrFail(repository.GuestElf);
    });

    /// <summary>
    /// Makes the Linux test guest (a Debian kernel and a busybox initramfs) and returns its directory. Like make
    /// for the test guest, the script runs every time: it downloads and builds only when an output is missing or
    /// tests/linux changed (VERSION records a hash of that folder).
    /// </summary>
    public string BuildLinuxGuest() => Once("build the Linux test guest", null, () =>
    {
        Command.Check(repository.LinuxGuestScript, repository.LinuxGuestDirectory);
        foreach (var file in Repository.LinuxGuestFiles)
            ExistingOrFail(Path.Combine(repository.LinuxGuestDirectory, file));
        return repository.LinuxGuestDirectory;
    });

    /// <summary>
    /// Unpacks QEMU 10 from Debian's bookworm-backports into artifacts/qemu10 (tests/linux/fetch-qemu-backports.sh;
    /// cached): the vhost-user-gpu test's frontend, since QEMU 7.2 will not run vhost-user-gpu-pci without KVM.
    /// </summary>
    public string FetchQemu10() => Once("fetch QEMU 10 from bookworm-backports", null, () =>
    {
        string directory = Path.Combine(repository.Root, "artifacts", "qemu10");
        Command.Check(Path.Combine(repository.Root, "tests", "linux", "fetch-qemu-backports.sh"), directory);
        return directory;
    });

    /// <summary>Makes the software KVM host (tests/host/make-host.sh; cached like the Linux test guest) and returns its folder.</summary>
    public string BuildSoftwareKvmHost() => Once("build the software KVM host", null, () =>
    {
        Command.Check(Path.Combine(repository.Root, "tests", "host", "make-host.sh"), repository.SoftwareKvmHostDirectory);
        ExistingOrFail(Path.Combine(repository.SoftwareKvmHostDirectory, "host-exec"));
        return repository.SoftwareKvmHostDirectory;
    });

    /// <summary>Boots the software KVM host, building it and fetching QEMU 10 first.</summary>
    public SoftwareKvmHost StartSoftwareKvmHost()
    {
        string directory = BuildSoftwareKvmHost(), qemu = FetchQemu10();
        return Timed("boot the software KVM host", null, () => new SoftwareKvmHost(directory, qemu, repository.Artifacts));
    }

    /// <summary>
    /// Runs glue on the build's own terminal: here, or where KVM is the software host, inside it through host-exec,
    /// which gives glue a terminal there too (Ctrl-A x still quits). The choice is said in one line first.
    /// </summary>
    public int RunGlue(string glue, IEnumerable<string> arguments)
    {
        var kvm = KvmChoice.Make();
        Console.WriteLine($"==> {kvm}");
        if (!kvm.InSoftwareHost)
            return Command.Run(glue, arguments);
        using var host = StartSoftwareKvmHost();
        return Command.Run(host.HostExec, [glue, .. arguments], host.Environment);
    }

    /// <summary>Compiles a project once: a test project, so that each manifest's run of it can skip the build; the bench.</summary>
    public void Build(string project) => Once($"build {Path.GetFileNameWithoutExtension(project)}", null, () =>
    {
        Command.Check("dotnet", "build", project, "-c", "Release", "--nologo", "-v:minimal");
        return project;
    });

    /// <summary>
    /// Runs `dotnet test` with a trx logger, whose counts are read back afterwards, and the console logger at
    /// normal verbosity so that the log names every test and the reason for every skip.
    /// </summary>
    public TestRun Test(string project, string runName, IEnumerable<string> options, IReadOnlyDictionary<string, string> environment) =>
        Timed($"test {Path.GetFileNameWithoutExtension(project)}", runName, () =>
        {
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
        });

    /// <summary>A step that failed threw, so only a finished step's result is kept.</summary>
    private static string Once(string step, string? scope, Func<string> make)
    {
        var key = $"{step} [{scope}]";
        if (!Made.TryGetValue(key, out var result))
            Made[key] = result = Timed(step, scope, make);
        return result;
    }

    private static T Timed<T>(string step, string? scope, Func<T> run)
    {
        var name = scope is null ? step : $"{step} [{scope}]";
        Console.WriteLine($"==> {name}");
        var clock = Stopwatch.StartNew();
        var result = run();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"<== {name}: {clock.Elapsed.TotalSeconds:F1} s"));
        return result;
    }

    private static string ExistingOrFail(string path) =>
        File.Exists(path) ? path : throw new BuildFailure($"the step succeeded but {path} is missing");
}
