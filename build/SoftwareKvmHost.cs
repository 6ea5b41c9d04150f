using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Glue.Build;

/// <summary>
/// The software KVM host (tests/host/README.md) for one build invocation: QEMU 10 boots it under TCG with
/// -cpu max, and its agent, reached on a port of 127.0.0.1, runs what needs /dev/kvm. One boot serves every test
/// run of the invocation. A watchdog restarts the host on the same port when QEMU ends (a panic reboots into
/// -no-reboot's exit), the agent stops answering, or the kernel reports a CPU stalled; each restart is said, with
/// the console's last lines. What was running in the host then fails (and is retried, see TestRetries); host-exec
/// waits for the new boot's agent.
/// </summary>
public sealed class SoftwareKvmHost : IDisposable
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(90);
    private const int BootAttempts = 3;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeLimit = TimeSpan.FromMinutes(2);

    /// <summary>Linux's RCU stall report: a CPU has not passed a quiescent state for 21 s.</summary>
    private const string StallReport = "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks";

    private readonly string _directory;
    private readonly string _qemu;
    private readonly string _console;
    private readonly string _artifacts;
    private readonly int _port = FreePort();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<string> _lastLines = new();
    private TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private Task? _watchdog;

    /// <summary>How often the watchdog brought the host back.</summary>
    public int Restarts { get; private set; }

    /// <param name="directory">What tests/host/make-host.sh made: vmlinuz, initramfs.cpio.gz, host-exec.</param>
    /// <param name="qemu">Where QEMU's usr/ is: QEMU 10's folder (tests/linux/fetch-qemu-backports.sh), or / for the system's.</param>
    /// <param name="artifacts">The build's artifacts: glue binaries and test guests, made before the host reads them.</param>
    public SoftwareKvmHost(string directory, string qemu, string artifacts)
    {
        _directory = directory;
        _qemu = qemu;
        _artifacts = artifacts;
        _console = Path.Combine(directory, "console.log");
        File.WriteAllText(_console, "");
        if (Directory.Exists(Pids))
            Directory.Delete(Pids, recursive: true);
        Directory.CreateDirectory(Pids);
        Boot();
        _watchdog = Task.Run(WatchAsync);
    }

    /// <summary>The host-exec client: `host-exec PROGRAM ARGUMENTS...` runs a program in the host.</summary>
    public string HostExec => Path.Combine(_directory, "host-exec");

    /// <summary>Where host-exec says which process id in the host each of its programs has (tests/host/host-exec.c).</summary>
    private string Pids => Path.Combine(_directory, "pids");

    /// <summary>What a process needs to reach the host: the agent's port, the client, and the folder of process ids.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["GLUE_HOST_AGENT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["GLUE_HOST_EXEC"] = HostExec,
        ["GLUE_HOST_PIDS"] = Pids,
    };

    /// <summary>A start of the program in the host through host-exec, its standard streams redirected.</summary>
    public ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var start = KvmHost.StartHere(HostExec, [program, .. arguments]);
        foreach (var (name, value) in Environment)
            start.Environment[name] = value;
        return start;
    }

    /// <summary>
    /// Boots the host and waits for its agent. A boot takes about 10 s; the emulated CPUs now and then stall the
    /// kernel before that (an RCU stall while loading modules was seen), so a boot that does not come up within
    /// <see cref="BootLimit"/> is killed and tried again, up to <see cref="BootAttempts"/> times, each said.
    /// </summary>
    private void Boot()
    {
        for (int attempt = 1; ; attempt++)
        {
            if (TryBoot())
                return;
            Kill();
            if (attempt == BootAttempts)
                throw new BuildFailure($"the software KVM host did not come up in {BootAttempts} boots of {BootLimit.TotalSeconds} s: {LastLines()}");
            Console.WriteLine($"build: the software KVM host did not come up within {BootLimit.TotalSeconds} s (boot {attempt}); booting it again. Its console's last lines:\n{LastLines()}");
        }
    }

    private bool TryBoot()
    {
        var clock = Stopwatch.StartNew();
        var start = KvmHost.StartHere(Path.Combine(_qemu, "usr", "bin", "qemu-system-x86_64"), Arguments());
        start.Environment["QEMU_MODULE_DIR"] = Path.Combine(_qemu, "usr", "lib", "x86_64-linux-gnu", "qemu");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        DataReceivedEventHandler record = (_, line) =>
        {
            if (line.Data is null)
                return;
            lock (_lastLines)
            {
                File.AppendAllText(_console, line.Data + "\n");
                _lastLines.Enqueue(line.Data);
                if (_lastLines.Count > 30)
                    _lastLines.Dequeue();
            }
            if (line.Data.StartsWith("glue-host-agent: listening", StringComparison.Ordinal))
                ready.TrySetResult();
            // A CPU that the emulated SVM keeps in a guest's mode takes no interrupt, not even its own timer's: seen
            // for minutes at a time, with the agent still answering on the other CPU while whatever runs there waits.
            if (line.Data.Contains(StallReport, StringComparison.Ordinal) && ready.Task.IsCompleted)
                Volatile.Read(ref _stalled).TrySetResult();
        };
        process.OutputDataReceived += record;
        process.ErrorDataReceived += record;
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        if (Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(BootLimit)).GetAwaiter().GetResult() != ready.Task)
            return false;
        Console.WriteLine($"    the software KVM host is up in {clock.Elapsed.TotalSeconds:F1} s (agent on 127.0.0.1:{_port}, console {_console})");
        return true;
    }

    /// <summary>
    /// QEMU's TCG with -cpu max emulates SVM with nested paging; thread=multi gives each vCPU a thread (single-threaded
    /// TCG hung at smpboot). The machine's root is shared read-write at tag "root", so every path is the same inside;
    /// /usr and the artifacts are shared again to be mounted cached (tests/host/init says why).
    /// </summary>
    private IEnumerable<string> Arguments() =>
    [
        "-L", Path.Combine(_qemu, "usr", "share", "qemu"), "-L", Path.Combine(_qemu, "usr", "share", "seabios"),
        "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "8G",
        "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
        "-kernel", Path.Combine(_directory, "vmlinuz"), "-initrd", Path.Combine(_directory, "initramfs.cpio.gz"),
        "-append", $"console=ttyS0 panic=-1 mitigations=off glue.artifacts={_artifacts}",
        "-virtfs", "local,path=/,mount_tag=root,security_model=passthrough,multidevs=remap",
        "-virtfs", "local,path=/usr,mount_tag=usr,security_model=passthrough,multidevs=remap,readonly=on",
        "-virtfs", $"local,path={_artifacts},mount_tag=artifacts,security_model=passthrough,multidevs=remap",
        "-netdev", $"user,id=n0,hostfwd=tcp:127.0.0.1:{_port}-:7000", "-device", "virtio-net-pci,netdev=n0",
    ];

    private async Task WatchAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            // QEMU's end (a panic) and a stall report are seen at once, so that commands waiting for the agent get a host
            // again soon.
            var stalled = Volatile.Read(ref _stalled).Task;
            await Task.WhenAny(Task.Delay(ProbeEvery, _stopping.Token), _process!.WaitForExitAsync(_stopping.Token), stalled);
            if (_stopping.IsCancellationRequested)
                return;
            string? problem = _process!.HasExited ? $"QEMU exited with status {_process.ExitCode}"
                : stalled.IsCompleted ? "its kernel reported a CPU stalled"
                : await AnswersAsync() ? null : $"the agent did not run `true` within {ProbeLimit.TotalMinutes} min";
            if (problem is null || _stopping.IsCancellationRequested)
                continue;
            Console.WriteLine($"build: the software KVM host failed ({problem}); restarting it. Its console's last lines:\n{LastLines()}");
            Kill();
            Restarts++;
            Volatile.Write(ref _stalled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Boot();
        }
    }

    private async Task<bool> AnswersAsync()
    {
        using var probe = Process.Start(StartInfo("true", []))!;
        probe.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        limit.CancelAfter(ProbeLimit);
        try
        {
            await probe.WaitForExitAsync(limit.Token);
            return probe.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            probe.Kill();
            return _stopping.IsCancellationRequested;
        }
    }

    private string LastLines()
    {
        lock (_lastLines)
            return string.Join('\n', _lastLines);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _watchdog?.Wait();
        Kill();
    }
}
