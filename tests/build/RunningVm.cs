using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Glue.BuildTests;

/// <summary>
/// A `glue run` of the test guest in counter mode, left running while a test pauses, lists and stops it. Its
/// control socket lives in the test's own runtime directory; it is killed if the test ends before it did.
/// </summary>
public sealed partial class RunningVm : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private RunningVm(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Starts `glue run -n name` with the guest printing GLUE-COUNTER lines, and waits for the first.</summary>
    public static async Task<RunningVm> StartAsync(string runtimeDirectory, string? name, params string[] options)
    {
        var start = GlueInvocation.StartInfo(runtimeDirectory,
            ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter", .. name is null ? Array.Empty<string>() : ["-n", name], .. options]);
        var vm = new RunningVm(new Process { StartInfo = start });
        vm._process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (vm._stdout) vm._stdout.Add(line.Data); };
        vm._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (vm._stderr) vm._stderr.Add(line.Data); };
        vm._process.Start();
        vm._process.StandardInput.Close();
        vm._process.BeginOutputReadLine();
        vm._process.BeginErrorReadLine();
        await vm.WaitForCounterAsync(0, TimeSpan.FromSeconds(30));
        return vm;
    }

    /// <summary>The highest counter the guest has printed, or -1.</summary>
    public long Counter
    {
        get
        {
            lock (_stdout)
            {
                for (int i = _stdout.Count - 1; i >= 0; i--)
                {
                    var match = CounterLine().Match(_stdout[i]);
                    if (match.Success) return long.Parse(match.Groups[1].Value);
                }
                return -1;
            }
        }
    }

    /// <summary>Every counter line in order: the guest's count must have no gaps and no repeats.</summary>
    public IReadOnlyList<long> Counters
    {
        get
        {
            lock (_stdout)
                return _stdout.Select(l => CounterLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value)).ToList();
        }
    }

    public async Task WaitForCounterAsync(long atLeast, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (Counter < atLeast)
        {
            if (_process.HasExited || clock.Elapsed > limit) throw new TimeoutException($"counter did not reach {atLeast}; {Describe()}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits for glue to exit; returns its status, or null if it is still running after the limit.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan limit)
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

    public void Signal(int signal) => PosixSignal.Send(_process.Id, signal);

    public string Describe()
    {
        lock (_stdout) lock (_stderr)
            return $"stdout tail: {string.Join(" | ", _stdout.TakeLast(5))}; stderr: {string.Join(" | ", _stderr)}";
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    [GeneratedRegex(@"^GLUE-COUNTER (\d+)$")]
    private static partial Regex CounterLine();
}
