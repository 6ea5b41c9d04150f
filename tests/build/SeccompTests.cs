using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The sandbox of a real run (docs/security.md): a forbidden call on a vCPU thread and on a device thread ends glue
/// with the one-line report, and --user leaves the VM's process as that user, with no_new_privs and its filters.
/// Every other build test runs under the default --seccomp=kill, which is the proof that the filters allow what
/// each device needs.
/// </summary>
public sealed class SeccompTests : IDisposable
{
    private readonly TempDirectory _runtime = new();

    /// <summary>glue built from tests/build/SeccompTrigger/seccomp-trigger.props, which has the forbidden-call port.</summary>
    public static string TriggerBinary => Path.Combine(TestEnvironment.Repository, "artifacts", "seccomp-trigger", "glue");

    public void Dispose() => _runtime.Dispose();

    [SeccompTriggerTheory]
    [InlineData("vcpu", "vcpu")]
    [InlineData("device", "device-io")]
    public async Task A_forbidden_call_ends_glue_with_one_line_naming_the_thread_and_the_call(string trigger, string kind)
    {
        var start = KvmHost.StartInfo(TriggerBinary, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=exits glue.exits=16"]);
        start.Environment["XDG_RUNTIME_DIR"] = _runtime.Path;
        start.Environment["GLUE_SECCOMP_TRIGGER"] = trigger;
        var run = await BoundedProcess.RunAsync(start, TimeSpan.FromSeconds(60), null, BoundedProcess.StopBy.Kill);

        Assert.True(run.ExitCode == 159, $"expected status 159 (128 + SIGSYS); {run.Describe()}");
        var report = Assert.Single(run.Stderr, line => line.StartsWith("glue: seccomp:", StringComparison.Ordinal));
        Assert.StartsWith($"glue: seccomp: a {kind} thread called socket (41) with 0x2, 0x1, 0x0, which its filter forbids", report);
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
