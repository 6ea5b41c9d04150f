namespace Glue.TestSupport;

/// <summary>Where things are in the Glue repository, as absolute paths.</summary>
public sealed record Repository(string Root)
{
    public const string DefaultManifestName = "full";

    public string ManifestsDirectory => Path.Combine(Root, "manifests");
    public string Artifacts => Path.Combine(Root, "artifacts");
    public string GuestDirectory => Path.Combine(Artifacts, "guest");
    public string GuestElf => Path.Combine(GuestDirectory, "glue-test-guest.elf");
    public string LinuxGuestDirectory => Path.Combine(Artifacts, "linux");
    public string LinuxGuestScript => Path.Combine(Root, "tests", "linux", "make-linux-guest.sh");
    public static IReadOnlyList<string> LinuxGuestFiles => ["vmlinuz", "vmlinux", "initramfs.cpio.gz", "VERSION"];
    public string SoftwareKvmHostDirectory => Path.Combine(Artifacts, "host");
    public string TestResults => Path.Combine(Artifacts, "test-results");
    public string GlueProject => Path.Combine(Root, "src", "Glue", "Glue.csproj");
    public string UnitTestProject => Path.Combine(Root, "tests", "Glue.Tests", "Glue.Tests.csproj");
    public string BuildTestProject => Path.Combine(Root, "tests", "build", "Glue.BuildTests.csproj");
    public string BenchProject => Path.Combine(Root, "tests", "bench", "Glue.Bench.csproj");

    public string PublishDirectory(Manifest manifest) => Path.Combine(Artifacts, manifest.Name);

    public string GlueBinary(Manifest manifest) => Path.Combine(PublishDirectory(manifest), "glue");

    public IReadOnlyList<Manifest> Manifests() =>
        Directory.GetFiles(ManifestsDirectory, "*.props")
            .Order(StringComparer.Ordinal)
            .Select(path => Manifest.Load(path, Root))
            .ToList();

    public Manifest DefaultManifest() =>
        Manifest.Load(Path.Combine(ManifestsDirectory, DefaultManifestName + ".props"), Root);

    /// <summary>The default manifest plus the test-only forbidden-call port: published for the build tests, never as glue.</summary>
    public Manifest SeccompTriggerManifest() =>
        Manifest.Load(Path.Combine(Root, "tests", "build", "SeccompTrigger", "seccomp-trigger.props"), Root);

    /// <summary>
    /// The root is found from the program's own location (the build program's, the bench's) rather than the current
    /// directory, so that ./build.sh works from any directory and a relative --manifest path keeps meaning what the user typed.
    /// </summary>
    public static Repository Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "build", "Glue.Build.csproj")))
                return new Repository(directory.FullName);
        }
        throw new DirectoryNotFoundException($"no Glue repository above {AppContext.BaseDirectory}");
    }
}
