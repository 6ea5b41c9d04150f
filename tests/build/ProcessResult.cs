namespace Glue.BuildTests;

/// <summary>How a process ended and every line it printed, each stream in order.</summary>
public sealed record ProcessResult(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr)
{
    /// <summary>Everything about the run, for a failing assertion's message.</summary>
    public string Describe() =>
        $"exit status {ExitCode}\n--- stdout ---\n{string.Join('\n', Stdout)}\n--- stderr ---\n{string.Join('\n', Stderr)}";
}
