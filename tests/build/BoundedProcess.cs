using System.Diagnostics;

namespace Glue.BuildTests;

/// <summary>
/// Runs a program within a time limit, with standard input closed. The process (and anything it started) is
/// killed whenever the run ends before the process did, so that no test leaves a VM running.
/// </summary>
public static class BoundedProcess
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    /// <summary>How long a process told to end with SIGTERM has to do it (glue flushes its disks then).</summary>
    private static readonly TimeSpan TerminateLimit = TimeSpan.FromSeconds(20);

    /// <summary>What happens once the stop line is seen.</summary>
    public enum StopBy
    {
        /// <summary>SIGKILL: for guests that never end by themselves; the exit status is that of the kill.</summary>
        Kill,

        /// <summary>SIGTERM, and a wait for the process to end by itself, as `glue stop` ends a VM.</summary>
        Terminate,
    }

    /// <summary>
    /// Runs the program to its end, or, given <paramref name="stopAtLine"/>, only until it prints a line that
    /// contains it. A run that outlasts <paramref name="limit"/> throws, with what the program printed so far.
    /// </summary>
    public static Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan? limit = null, string? stopAtLine = null) =>
        RunAsync(KvmHost.StartHere(program, arguments), limit ?? DefaultLimit, stopAtLine, StopBy.Kill);

    /// <summary>The same for a prepared start (its standard streams redirected), stopped at the line as <paramref name="stop"/> says.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo start, TimeSpan limit, string? stopAtLine, StopBy stop)
    {
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
            var timeUp = Task.Delay(limit);
            var first = await Task.WhenAny(exited, stopLineSeen.Task, timeUp);
            if (first == timeUp)
            {
                KillIfRunning(process);
                await process.WaitForExitAsync();
                throw new TimeoutException($"{start.FileName} ran longer than {limit} and was killed; {Result(process, stdout, stderr).Describe()}");
            }
            if (first != exited && stop == StopBy.Terminate && !process.HasExited)
            {
                PosixSignal.Send(process.Id, PosixSignal.SIGTERM);
                if (await Task.WhenAny(exited, Task.Delay(TerminateLimit)) != exited)
                    throw new TimeoutException($"{start.FileName} did not end within {TerminateLimit} of SIGTERM; {Result(process, stdout, stderr).Describe()}");
            }
            KillIfRunning(process);
            // Also waits for the end of both output streams, so that no line is lost.
            await process.WaitForExitAsync();
            return Result(process, stdout, stderr);
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    private static ProcessResult Result(Process process, List<string> stdout, List<string> stderr) =>
        new(process.HasExited ? process.ExitCode : -1, Snapshot(stdout), Snapshot(stderr));

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
