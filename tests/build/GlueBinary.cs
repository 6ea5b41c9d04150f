namespace Glue.BuildTests;

/// <summary>The glue binary under test (GLUE_BINARY), and the test guest booted in it.</summary>
public static class GlueBinary
{
    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(arguments, BoundedProcess.DefaultLimit);

    /// <summary>glue where its VMs live (<see cref="GlueInvocation.Start"/>), within the limit, until it ends or prints <paramref name="stopAtLine"/>.</summary>
    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, TimeSpan limit, string? stopAtLine = null) =>
        BoundedProcess.RunAsync(GlueInvocation.Start(arguments), limit, stopAtLine, BoundedProcess.StopBy.Kill);

    /// <summary>`glue run` of the test guest with the given guest command line and further `run` options.</summary>
    public static Task<ProcessResult> BootAsync(string commandLine, params string[] options) =>
        RunAsync(["run", "-k", TestEnvironment.Guest, "-p", commandLine, .. options]);
}
