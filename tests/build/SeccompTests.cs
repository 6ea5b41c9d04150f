using System.Text;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The sandbox of a real run (docs/security.md): a forbidden call on a vCPU thread and on a device thread ends glue
/// with the one-line report, and --user leaves the VM's process as that user, with no_new_privs and its filters.
/// Every other build test runs under the default --seccomp=kill, which is the proof that the filters allow what
/// each device needs. The trigger's tests run with the default manifest's build tests, where ./build.sh test
/// publishes the trigger build beside it (Category=SeccompTrigger).
/// </summary>
public sealed class SeccompTests : IDisposable
{
    private readonly TempDirectory _runtime = new();

    public void Dispose() => _runtime.Dispose();

    [SeccompTriggerTheory, Trait("Category", "SeccompTrigger")]
    [InlineData("vcpu", "vcpu")]
    [InlineData("device", "device-io")]
    public async Task A_forbidden_call_ends_glue_with_one_line_naming_the_thread_and_the_call(string trigger, string kind)
    {
        var start = KvmHost.StartInfo(TestEnvironment.SeccompTriggerBinary, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=exits glue.exits=16"]);
        start.Environment["XDG_RUNTIME_DIR"] = _runtime.Path;
        start.Environment["GLUE_SECCOMP_TRIGGER"] = trigger;
        var run = await BoundedProcess.RunAsync(start, TimeSpan.FromSeconds(60), null, BoundedProcess.StopBy.Kill);

        Assert.True(run.ExitCode == 159, $"expected status 159 (128 + SIGSYS); {run.Describe()}");
        var report = Assert.Single(run.Stderr, line => line.StartsWith("glue: seccomp:", StringComparison.Ordinal));
        Assert.StartsWith($"glue: seccomp: a {kind} thread called socket (41) with 0x2, 0x1, 0x0, which its filter forbids", report);
    }

    /// <summary>The trigger's manifest imports the full one: the build program and these tests read it as the same components.</summary>
    [GlueFact]
    public void The_trigger_build_has_the_full_manifests_components()
    {
        var repository = new Repository(TestEnvironment.Repository);
        Assert.Equal(repository.DefaultManifest().Present, repository.SeccompTriggerManifest().Present);
        Assert.Equal("seccomp-trigger", repository.SeccompTriggerManifest().Name);
    }

    /// <summary>
    /// Native AOT keeps the names of the types it compiled in the image (ManifestContentsTests), so the trigger's port
    /// is in a binary exactly when its type name is: found in the trigger build (which proves the search), in no other.
    /// </summary>
    [SeccompTriggerFact, Trait("Category", "SeccompTrigger")]
    public void Only_the_trigger_build_holds_the_forbidden_call_port()
    {
        var name = Encoding.UTF8.GetBytes("ForbiddenCallPort");
        Assert.True(File.ReadAllBytes(TestEnvironment.SeccompTriggerBinary).AsSpan().IndexOf(name) >= 0, $"{TestEnvironment.SeccompTriggerBinary} lacks the trigger");
        Assert.True(File.ReadAllBytes(TestEnvironment.Binary).AsSpan().IndexOf(name) < 0, $"{TestEnvironment.Binary} holds the test-only trigger");
    }

    [KvmFact]
    public async Task User_runs_the_vm_as_that_user_with_no_new_privs_and_its_filters()
    {
        using var vm = await RunningVm.StartAsync(_runtime.Path, "dropped", "--user", "65534:65534");
        var status = await BoundedProcess.RunAsync(KvmHost.StartInfo("cat", [$"/proc/{vm.Pid}/status"]), TimeSpan.FromSeconds(30), null, BoundedProcess.StopBy.Kill);
        Assert.Contains("Uid:\t65534\t65534\t65534\t65534", status.Stdout);
        Assert.Contains("Gid:\t65534\t65534\t65534\t65534", status.Stdout);
        Assert.Contains(status.Stdout, line => line.TrimEnd() == "Groups:");
        Assert.Contains("NoNewPrivs:\t1", status.Stdout);
        Assert.Contains("Seccomp:\t2", status.Stdout);
        // Its lifecycle still works, and it removes its control socket on the way out.
        var stop = await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "dropped");
        Assert.True(stop.ExitCode == 0, stop.Describe());
        Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(KvmHost.Exists(Path.Combine(_runtime.Path, "glue", "dropped.sock")), "the control socket was left behind");
    }
}
