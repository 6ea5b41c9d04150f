namespace Glue.BuildTests;

/// <summary>The glue binary under test (GLUE_BINARY), and the test guest booted in it.</summary>
public static class GlueBinary
{
    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        BoundedProcess.RunAsync(TestEnvironment.Binary, arguments);

    /// <summary>`glue run` of the test guest with the given guest command line and further `run` options.</summary>
    public static Task<ProcessResult> BootAsync(string commandLine, params string[] options) =>
        RunAsync(["run", "-k", TestEnvironment.Guest, "-p", commandLine, .. options]);
}
