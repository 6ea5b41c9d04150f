using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Glue.Bench;

/// <summary>What one run of a VMM process gave: its status, its output, and the times and memory the bench reads.</summary>
public sealed record ProcessSample(int ExitCode, string Output, string Errors, TimeSpan FirstOutput, TimeSpan Exit, long PeakKiB)
{
    /// <summary>The first output line that starts with <paramref name="prefix"/>, or a failure naming what the run did.</summary>
    public string Line(string prefix) =>
        Output.Split('\n').FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new BenchFailure($"no '{prefix}' line (status {ExitCode}): {Tail(Output)} {Tail(Errors)}");

    public static string Tail(string text) => text.Length <= 300 ? text.Trim() : "..." + text[^300..].Trim();
}

/// <summary>
/// One VMM process under /usr/bin/time (for its peak RSS), timed from just before it is started: to its first
/// byte on stdout and to its end. Stdin is closed. Several can run at once (the density case).
/// </summary>
public sealed class BenchProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _rssFile = Path.GetTempFileName();
    private readonly Stopwatch _clock;
    private readonly Task<string> _output;
    private readonly Task<string> _errors;
    private readonly StringBuilder _text = new();
    private readonly List<(long Arrived, string Text)> _lines = [];   // complete lines, with the Stopwatch timestamp of their end
    private readonly StringBuilder _partial = new();                   // the line being received
    private long _firstOutputTicks = -1;

    private readonly bool _inKvmHost;

    private BenchProcess(string program, IEnumerable<string> arguments, bool inKvmHost)
    {
        var start = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-f", "%M", "-o", _rssFile, program, .. arguments]) start.ArgumentList.Add(argument);
        // time(1) runs beside the VMM, in the software KVM host where there is one: its -o file is on the shared /tmp.
        _inKvmHost = inKvmHost && KvmHost.IsSoftware;
        if (_inKvmHost)
            start = KvmHost.InHost(start);
        _clock = Stopwatch.StartNew();
        _process = Process.Start(start) ?? throw new BenchFailure($"{program} did not start");
        _process.StandardInput.Close();
        _output = ReadOutput(_process.StandardOutput.BaseStream);
        _errors = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts a VMM, or what must meet one, where KVM is: here, or in the software KVM host.</summary>
    public static BenchProcess Start(string program, IEnumerable<string> arguments) => new(program, arguments, inKvmHost: true);

    /// <summary>Starts what needs no KVM here, whatever KVM is: a vhost-user backend and its QEMU under TCG.</summary>
    public static BenchProcess StartHere(string program, IEnumerable<string> arguments) => new(program, arguments, inKvmHost: false);

    /// <summary>Runs the program to its end where KVM is (killed after <paramref name="timeout"/>, which fails the run).</summary>
    public static ProcessSample Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = Start(program, arguments);
        return process.Finish(timeout);
    }

    /// <summary>The same, here whatever KVM is.</summary>
    public static ProcessSample RunHere(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = StartHere(program, arguments);
        return process.Finish(timeout);
    }

    /// <summary>/usr/bin/time's pid where it runs (in the software KVM host, there): the VMM is its one child.</summary>
    public int TimePid => KvmHost.PidOf(_process);

    /// <summary>The process's pid (the VMM's, not /usr/bin/time's), once it has one.</summary>
    public int? VmmPid =>
        File.ReadAllText($"/proc/{_process.Id}/task/{_process.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(child => (int?)int.Parse(child, CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>Waits for the end (killing the VMM after <paramref name="timeout"/>, which fails the run) and returns the sample.</summary>
    public ProcessSample Finish(TimeSpan timeout)
    {
        bool ended = _process.WaitForExit(timeout);
        if (!ended)
        {
            KillVmm();
            _process.WaitForExit();
        }
        var exit = _clock.Elapsed;
        _process.WaitForExit(); // the stream readers are done too
        string output = _output.Result, errors = _errors.Result;
        if (!ended) throw new BenchFailure($"still running after {timeout.TotalSeconds:F0} s: {ProcessSample.Tail(output)} {ProcessSample.Tail(errors)}");
        // time(1) prints "Command exited with non-zero status N" before the figure: the figure is the last line.
        long.TryParse(File.ReadAllText(_rssFile).Trim().Split('\n')[^1], out long peak);
        var first = _firstOutputTicks < 0 ? exit : TimeSpan.FromTicks(_firstOutputTicks);
        return new ProcessSample(_process.ExitCode, output, errors, first, exit, peak);
    }

    /// <summary>Ends what /usr/bin/time runs, so that time itself lives to report the peak memory.</summary>
    public void KillVmm()
    {
        if (_inKvmHost)
        {
            KvmHost.Run("pkill", "-KILL", "-P", KvmHost.PidOf(_process).ToString(CultureInfo.InvariantCulture));
            return;
        }
        if (VmmPid is int pid)
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); }
            catch (ArgumentException) { } // already gone
            catch (InvalidOperationException) { }
        }
    }

    /// <summary>
    /// When the last output line starting with <paramref name="prefix"/> that was complete by <paramref name="before"/>
    /// came in (a Stopwatch timestamp), or null.
    /// </summary>
    public long? LineArrived(string prefix, long before = long.MaxValue)
    {
        lock (_text)
            for (int i = _lines.Count - 1; i >= 0; i--)
                if (_lines[i].Arrived <= before && _lines[i].Text.StartsWith(prefix, StringComparison.Ordinal)) return _lines[i].Arrived;
        return null;
    }

    /// <summary>How many output lines so far start with <paramref name="prefix"/>, the last one counted even before its newline.</summary>
    public int LinesStartingWith(string prefix)
    {
        lock (_text)
            return _lines.Count(line => line.Text.StartsWith(prefix, StringComparison.Ordinal))
                + (_partial.Length >= prefix.Length && _partial.ToString(0, prefix.Length) == prefix ? 1 : 0);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; a failure naming <paramref name="what"/> and the output after <paramref name="limit"/>.</summary>
    public void WaitFor(Func<bool> condition, string what, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new BenchFailure($"no {what} within {limit.TotalSeconds:F0} s: {ProcessSample.Tail(OutputSoFar)}");
            Thread.Sleep(2);
        }
    }

    /// <summary>What the process has printed so far (for cases that act on a running VM).</summary>
    public string OutputSoFar
    {
        get { lock (_text) return _text.ToString(); }
    }

    private async Task<string> ReadOutput(Stream stdout)
    {
        var buffer = new byte[4096];
        int got;
        while ((got = await stdout.ReadAsync(buffer)) > 0)
        {
            if (_firstOutputTicks < 0) _firstOutputTicks = _clock.Elapsed.Ticks;
            string chunk = Encoding.UTF8.GetString(buffer, 0, got);
            long arrived = Stopwatch.GetTimestamp();
            lock (_text)
            {
                _text.Append(chunk);
                foreach (char c in chunk)
                {
                    if (c != '\n') _partial.Append(c);
                    else
                    {
                        _lines.Add((arrived, _partial.ToString().TrimEnd('\r')));
                        _partial.Clear();
                    }
                }
            }
        }
        return OutputSoFar;
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillVmm();
        _process.Dispose();
        File.Delete(_rssFile);
    }
}
