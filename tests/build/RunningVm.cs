using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Glue.BuildTests;

/// <summary>
/// A `glue run` of the test guest in counter mode, left running while a test pauses, lists and stops it. Its
/// control socket lives in the test's own runtime directory; it is killed if the test ends before it did.
/// </summary>
public sealed partial class RunningVm : IDisposable
{
    private readonly WatchedProcess _process;

    private RunningVm(WatchedProcess process) => _process = process;

    public int Pid => _process.Pid;

    /// <summary>
    /// Starts `glue run -n name` with the guest printing GLUE-COUNTER lines, and waits for the first: up to two minutes,
    /// which a loaded software KVM host has been seen to need more than 30 s of.
    /// </summary>
    public static Task<RunningVm> StartAsync(string runtimeDirectory, string? name, params string[] options) =>
        LaunchAsync(runtimeDirectory, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter", .. name is null ? Array.Empty<string>() : ["-n", name], .. options]);

    /// <summary>Starts `glue run --restore snapshot -n name` of a counter guest's snapshot, and waits for its first counter line, as <see cref="StartAsync"/> does.</summary>
    public static Task<RunningVm> RestoreAsync(string runtimeDirectory, string name, string snapshot) =>
        LaunchAsync(runtimeDirectory, ["run", "--restore", snapshot, "-n", name]);

    private static async Task<RunningVm> LaunchAsync(string runtimeDirectory, string[] arguments)
    {
        var vm = new RunningVm(WatchedProcess.Start(GlueInvocation.StartInfo(runtimeDirectory, arguments)));
        try
        {
            await vm.WaitForCounterAsync(0, TimeSpan.FromMinutes(2));
            return vm;
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    /// <summary>The highest counter the guest has printed, or -1.</summary>
    public long Counter => _process.Read(lines =>
    {
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            var match = CounterLine().Match(lines[i]);
            if (match.Success) return long.Parse(match.Groups[1].Value);
        }
        return -1L;
    });

    /// <summary>Every counter line in order: the guest's count must have no gaps and no repeats.</summary>
    public IReadOnlyList<long> Counters =>
        _process.Read(lines => lines.Select(l => CounterLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value)).ToList());

    /// <summary>The first line the guest printed (after a restore: perhaps the rest of a line the snapshot cut).</summary>
    public string FirstLine => _process.Read(lines => lines.Count > 0 ? lines[0] : "");

    public async Task WaitForCounterAsync(long atLeast, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (Counter < atLeast)
        {
            if (_process.HasExited || clock.Elapsed > limit) throw new TimeoutException($"counter did not reach {atLeast}; {Describe()}");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits until the counter has held still for <paramref name="still"/>, and returns it: a paused guest's last lines
    /// have come through the pipe, however slowly a loaded machine passes them on, and no more follow. A guest that
    /// keeps counting never holds still, which fails after <paramref name="limit"/>.
    /// </summary>
    public async Task<long> WaitForCounterToHoldAsync(TimeSpan still, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var held = Stopwatch.StartNew();
        long counter = Counter;
        while (held.Elapsed < still)
        {
            if (_process.HasExited || clock.Elapsed > limit)
                throw new TimeoutException($"the counter did not hold still for {still.TotalSeconds} s within {limit.TotalSeconds} s; {Describe()}");
            await Task.Delay(10);
            if (Counter is var now && now != counter)
            {
                counter = now;
                held.Restart();
            }
        }
        return counter;
    }

    /// <summary>Waits for glue to exit; returns its status, or null if it is still running after the limit.</summary>
    public Task<int?> WaitForExitAsync(TimeSpan limit) => _process.TryWaitForExitAsync(limit);

    public void Signal(int signal) => _process.Signal(signal);

    public string Describe() => _process.Describe();

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@"^GLUE-COUNTER (\d+)$")]
    private static partial Regex CounterLine();
}
