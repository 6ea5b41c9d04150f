using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// glue is a Native AOT executable: no runtime starts a diagnostics server beside the VM. A .NET runtime that has
/// one makes its IPC sockets (dotnet-diagnostic-PID-...-socket, clr-debug-pipe-PID-...) in TMPDIR at start-up and
/// removes them only on a clean exit, so a killed VM would leave them behind.
/// </summary>
[Trait("Device", "serial")]
public sealed class NativeRuntimeTests
{
    [KvmFact]
    public async Task Killed_glue_leaves_no_file_in_its_temp_directory()
    {
        using var runtime = new TempDirectory();
        using var temp = new TempDirectory();
        var start = GlueInvocation.StartInfo(runtime.Path, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter"]);
        start.Environment["TMPDIR"] = temp.Path;

        // Killed (SIGKILL) at the guest's first line: running, so past any runtime start-up, and given no chance to clean up.
        var run = await BoundedProcess.RunAsync(start, TimeSpan.FromSeconds(30), "GLUE-COUNTER", BoundedProcess.StopBy.Kill);

        Assert.True(run.Stdout.Any(line => line.StartsWith("GLUE-COUNTER", StringComparison.Ordinal)), run.Describe());
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }
}
