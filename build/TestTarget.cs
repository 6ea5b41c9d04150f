namespace Glue.Build;

/// <summary>
/// The `test` target: the unit tests, the reference run of the test guest under QEMU, then the build tests
/// against every manifest's published glue; or, given one manifest, that manifest's build tests alone (one entry
/// of a CI matrix per manifest). The test guests' paths reach the tests as GLUE_GUEST (the ELF) and GLUE_LINUX
/// (the Linux guest's directory); where KVM is the software host, its agent reaches them as GLUE_HOST_AGENT and
/// GLUE_HOST_EXEC, one boot of it serving every run. The default manifest's run also gets the test-only build
/// with the seccomp trigger (GLUE_SECCOMP_TRIGGER_BINARY, docs/security.md).
/// It goes on after a failed run so that one run reports every failure, and ends with the summed counts.
/// </summary>
public sealed class TestTarget(Repository repository)
{
    private readonly BuildSteps steps = new(repository);

    public int Run(Manifest? only)
    {
        var guest = steps.BuildGuest();
        var linux = steps.BuildLinuxGuest();
        var runs = new List<TestRun>();
        // The unit tests read the Debian kernel image too (its real setup header and zero page).
        if (only is null)
            runs.Add(steps.Test(repository.UnitTestProject, "unit", [], new Dictionary<string, string> { ["GLUE_LINUX"] = linux }));
        steps.Build(repository.BuildTestProject);

        var kvm = KvmChoice.Make();
        Console.WriteLine($"==> {kvm}");
        using var host = kvm.InSoftwareHost ? steps.StartSoftwareKvmHost() : null;
        var retries = new TestRetries(steps, repository, host);
        var common = new Dictionary<string, string>(host?.Environment ?? new Dictionary<string, string>())
        {
            ["GLUE_GUEST"] = guest,
            ["GLUE_LINUX"] = linux,
            ["GLUE_QEMU10"] = steps.FetchQemu10(),
            ["GLUE_REPO"] = repository.Root,
        };
        if (only is null)
            runs.Add(retries.Test("reference", TestFilter.Reference, common));
        runs.AddRange((only is null ? repository.Manifests() : [only]).Select(manifest => TestManifest(manifest, common, retries)));

        foreach (var run in runs.Where(run => run.Failed))
            Console.Error.WriteLine($"build: test run '{run.Name}' failed: {run.Problem ?? $"{run.Counts!.Failed} failed"}");
        retries.Report(host);
        Console.WriteLine(runs.Aggregate(TestCounts.None, (total, run) => total + (run.Counts ?? TestCounts.None)));
        return runs.Any(run => run.Failed) ? 1 : 0;
    }

    /// <summary>A manifest that does not publish fails its run, and the other manifests are still tested.</summary>
    private TestRun TestManifest(Manifest manifest, IReadOnlyDictionary<string, string> common, TestRetries retries)
    {
        var runName = $"manifest-{manifest.Name}";
        bool isDefault = manifest.Name == Repository.DefaultManifestName;
        string glue;
        string? trigger = null;
        try
        {
            glue = steps.Publish(manifest);
            if (isDefault) trigger = steps.Publish(repository.SeccompTriggerManifest());
        }
        catch (BuildFailure failure)
        {
            return new TestRun(runName, null, $"publish failed: {failure.Message}");
        }

        var environment = new Dictionary<string, string>(common)
        {
            ["GLUE_BINARY"] = glue,
            ["GLUE_MANIFEST"] = manifest.Path,
        };
        if (trigger is not null) environment["GLUE_SECCOMP_TRIGGER_BINARY"] = trigger;
        return retries.Test(runName, TestFilter.For(manifest, isDefault), environment);
    }
}
