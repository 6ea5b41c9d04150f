using System.Diagnostics;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// A `glue device NAME --socket PATH ...` running in the background for one test: started (optionally inside a
/// network namespace), waited for until its socket exists, and ended with SIGTERM, after which it must exit 0.
/// It is killed if the test ends before it did.
/// </summary>
public sealed class GlueDevice : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private GlueDevice(Process process, string socket)
    {
        _process = process;
        Socket = socket;
    }

    public string Socket { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// Starts glue device with <paramref name="arguments"/> after `device`, and waits for <paramref name="socket"/> to appear;
    /// <paramref name="wrapper"/> is a command that ends by exec'ing the rest (a mount namespace of the test's own, say).
    /// </summary>
    public static async Task<GlueDevice> StartAsync(string socket, string[] arguments, NetworkNamespace? ns = null, string[]? wrapper = null)
    {
        string[] glue = ["-v", "device", .. arguments];
        string[] command = [.. wrapper ?? [], TestEnvironment.Binary, .. glue];
        var start = ns is not null ? ns.StartInfo(command) : wrapper is not null ? KvmHost.StartHere(command[0], command[1..]) : GlueInvocation.Start(glue);
        var device = new GlueDevice(new Process { StartInfo = start }, socket);
        device._process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (device._stdout) device._stdout.Add(line.Data); };
        device._process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (device._stderr) device._stderr.Add(line.Data); };
        device._process.Start();
        device._process.StandardInput.Close();
        device._process.BeginOutputReadLine();
        device._process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (device._process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
                Assert.Fail($"glue device did not listen on {socket}; {device.Snapshot(device._process.HasExited ? device._process.ExitCode : -1).Describe()}");
            await Task.Delay(20);
        }
        return device;
    }

    /// <summary>What it printed so far (it logs each frontend's connect and disconnect with -v).</summary>
    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_stderr) return [.. _stderr];
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit; the result has everything it printed.</summary>
    public async Task<ProcessResult> StopAsync()
    {
        if (!_process.HasExited) PosixSignal.Send(_process.Id, PosixSignal.SIGTERM);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(limit.Token);
        return Snapshot(_process.ExitCode);
    }

    private ProcessResult Snapshot(int exitCode)
    {
        lock (_stdout)
        lock (_stderr)
            return new ProcessResult(exitCode, [.. _stdout], [.. _stderr]);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
