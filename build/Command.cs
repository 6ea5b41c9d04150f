using System.Diagnostics;

namespace Glue.Build;

/// <summary>
/// Runs one program with the build's own standard streams, so its output streams to the user as it is written.
/// </summary>
public static class Command
{
    /// <summary>Runs the program and returns its exit status, for steps whose failure the caller weighs itself.</summary>
    public static int Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = StartOrFail(start);
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Runs the program and fails the build when it exits non-zero.</summary>
    public static void Check(string program, params IEnumerable<string> arguments)
    {
        var status = Run(program, arguments);
        if (status != 0)
            throw new BuildFailure($"{program} exited with status {status}");
    }

    private static Process StartOrFail(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new BuildFailure($"{start.FileName} did not start");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new BuildFailure($"cannot run {start.FileName}: {error.Message}");
        }
    }
}
