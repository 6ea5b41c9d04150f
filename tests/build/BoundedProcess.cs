using System.Diagnostics;

namespace Glue.BuildTests;

/// <summary>
/// Runs a program within a time limit, with standard input closed. The process (and anything it started) is
/// killed whenever the run ends before the process did, so that no test leaves a VM running.
/// </summary>
public static class BoundedProcess
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs the program to its end, or, given <paramref name="stopAtLine"/>, only until it prints a line that
    /// contains it (for guests that never end by themselves): the exit status is then that of the kill.
    /// A run that outlasts <paramref name="limit"/> throws, with what the program printed so far.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan? limit = null, string? stopAtLine = null)
    {
        var timeLimit = limit ?? DefaultLimit;
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        var stdout = new List<string>();
        var stderr = new List<string>();
        var stopLineSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null)
                return;
            lock (stdout)
                stdout.Add(line.Data);
            if (stopAtLine is not null && line.Data.Contains(stopAtLine, StringComparison.Ordinal))
                stopLineSeen.TrySetResult();
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
                lock (stderr)
                    stderr.Add(line.Data);
        };

        process.Start();
        try
        {
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var exited = process.WaitForExitAsync();
            var timeUp = Task.Delay(timeLimit);
            var first = await Task.WhenAny(exited, stopLineSeen.Task, timeUp);
            if (first == timeUp)
            {
                KillIfRunning(process);
                await process.WaitForExitAsync();
                var soFar = new ProcessResult(process.ExitCode, Snapshot(stdout), Snapshot(stderr));
                throw new TimeoutException($"{program} ran longer than {timeLimit} and was killed; {soFar.Describe()}");
            }
            KillIfRunning(process);
            // Also waits for the end of both output streams, so that no line is lost.
            await process.WaitForExitAsync();
            return new ProcessResult(process.ExitCode, Snapshot(stdout), Snapshot(stderr));
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    private static void KillIfRunning(Process process)
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
            return [.. lines];
    }
}
