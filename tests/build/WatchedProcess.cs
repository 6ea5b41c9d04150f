using System.Diagnostics;

namespace Glue.BuildTests;

/// <summary>
/// A process whose output a test watches while it runs: it waits for a line, acts (takes a screenshot, sends
/// input), then waits for the end. Killed if the test ends first.
/// </summary>
public sealed class WatchedProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private WatchedProcess(Process process) => _process = process;

    /// <summary>
    /// Starts <paramref name="start"/> (its standard streams redirected) with stdin closed, or left open for
    /// <see cref="SendLine"/> when <paramref name="keepStdin"/>.
    /// </summary>
    public static WatchedProcess Start(ProcessStartInfo start, bool keepStdin = false)
    {
        var watched = new WatchedProcess(new Process { StartInfo = start });
        watched._process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (watched._stdout) watched._stdout.Add(line.Data); };
        watched._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (watched._stderr) watched._stderr.Add(line.Data); };
        watched._process.Start();
        if (!keepStdin) watched._process.StandardInput.Close();
        watched._process.BeginOutputReadLine();
        watched._process.BeginErrorReadLine();
        return watched;
    }

    public static WatchedProcess Start(string program, IEnumerable<string> arguments, bool keepStdin = false) =>
        Start(KvmHost.StartHere(program, arguments), keepStdin);

    /// <summary>Writes a line to its stdin (kept open at the start): a guest's serial console reads it.</summary>
    public void SendLine(string line)
    {
        _process.StandardInput.Write(line + "\n");
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for a line that starts with <paramref name="prefix"/>; throws, with the output so far, when it does not come.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_stdout)
            {
                if (_stdout.FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal)) is { } line) return line;
            }
            if (_process.HasExited || clock.Elapsed > limit) throw new TimeoutException($"no line '{prefix}...' within {limit.TotalSeconds} s; {Result(-1).Describe()}");
            await Task.Delay(10);
        }
    }

    /// <summary>The process id where the program runs: in the KVM host, what `glue list` shows (<see cref="KvmHost.PidOf"/>).</summary>
    public int Pid => KvmHost.PidOf(_process);

    public bool HasExited => _process.HasExited;

    /// <summary>A view of the stdout lines so far, taken under the lock the reader thread adds them under.</summary>
    public T Read<T>(Func<IReadOnlyList<string>, T> view)
    {
        lock (_stdout) return view(_stdout);
    }

    public void Signal(int signal) => PosixSignal.Send(_process.Id, signal);

    /// <summary>SIGKILL, and the end.</summary>
    public void Kill()
    {
        Signal(PosixSignal.SIGKILL);
        _process.WaitForExit();
    }

    /// <summary>Waits for the end; its status, or null if it still runs after <paramref name="limit"/>.</summary>
    public async Task<int?> TryWaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The last lines of stdout and all of stderr, for a failure's message.</summary>
    public string Describe()
    {
        lock (_stdout) lock (_stderr)
            return $"{(_process.HasExited ? $"ended with status {_process.ExitCode}" : "running")}; stdout tail: {string.Join(" | ", _stdout.TakeLast(5))}; stderr: {string.Join(" | ", _stderr)}";
    }

    /// <summary>Whether a line starting with <paramref name="prefix"/> has come yet.</summary>
    public bool HasPrinted(string prefix)
    {
        lock (_stdout) return _stdout.Any(line => line.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Waits for the end and returns everything it printed; throws when it outlives the limit.</summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"still running after {limit.TotalSeconds} s; {Result(-1).Describe()}");
        }
        _process.WaitForExit();   // the output is complete only after this
        return Result(_process.ExitCode);
    }

    private ProcessResult Result(int exitCode)
    {
        lock (_stdout) lock (_stderr) return new ProcessResult(exitCode, [.. _stdout], [.. _stderr]);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
