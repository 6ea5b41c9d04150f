using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Glue among other processes and users: closed standard streams, early signals, disk image and vsock CID locks
/// held per host, `glue list` touching only dead Glue sockets, and no growth or leftovers over many cycles.
/// GLUE_SOAK_CONNECT_CYCLES (default 100; the full soak 1,000) and GLUE_SOAK_RUN_CYCLES (default 5; 100) set the counts.
/// </summary>
[Trait("Device", "serial"), Trait("Device", "i8042")]
[Collection(nameof(LifecycleTests))]
public sealed class HostHygieneTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TempDirectory _runtime = new();

    public void Dispose()
    {
        _directory.Dispose();
        _runtime.Dispose();
    }

    private string[] RuntimeFiles => Directory.EnumerateFiles(_runtime.Path, "*", SearchOption.AllDirectories).ToArray();

    [KvmFact]
    public async Task A_closed_stdout_ends_the_vm_cleanly_as_glue_stop_does()
    {
        var start = GlueInvocation.StartInfo(_runtime.Path, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter", "-n", "headed"]);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        for (int i = 0; i < 3; i++) Assert.StartsWith("GLUE-COUNTER", await process.StandardOutput.ReadLineAsync());
        process.StandardOutput.Close(); // as `| head -3` does once it has its lines
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stderr: {await stderr}");
        Assert.Equal("", await stderr);
        Assert.Empty(RuntimeFiles);
    }

    [KvmFact]
    public async Task A_closed_stderr_still_gives_the_exit_status_of_bad_input()
    {
        var run = await Shell("2>&-", "run", "-k", "");
        Assert.Equal(2, run.ExitCode);
    }

    [KvmFact]
    public async Task A_closed_stdout_runs_the_guest_into_nothing_and_sigterm_stops_it()
    {
        var run = await Shell(">&-", "run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter", "-n", "closed", "--sigterm-after-1s");
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Empty(run.Stderr);
        Assert.Empty(RuntimeFiles);
    }

    /// <summary>glue with one standard stream closed by the shell; "--sigterm-after-1s" (last) is taken off and done.</summary>
    private async Task<ProcessResult> Shell(string redirection, params string[] arguments)
    {
        bool terminate = arguments[^1] == "--sigterm-after-1s";
        if (terminate) arguments = arguments[..^1];
        // The shell runs where glue's VMs run (KvmHost), so the stream it closes is glue's own.
        var start = KvmHost.StartInfo("/bin/sh", ["-c", $"exec \"$0\" \"$@\" {redirection}", TestEnvironment.Binary, .. arguments]);
        start.Environment["XDG_RUNTIME_DIR"] = _runtime.Path;
        if (!terminate) return await BoundedProcess.RunAsync(start, TimeSpan.FromSeconds(20), null, BoundedProcess.StopBy.Kill);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A second after glue has bound its control socket (its SIGTERM handler is there by then): a second from the
        // spawn was not always past the runtime's start in the software KVM host, whose default for SIGTERM is 143.
        var clock = Stopwatch.StartNew();
        while (RuntimeFiles.Length == 0 && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
        await Task.Delay(TimeSpan.FromSeconds(1));
        PosixSignal.Send(process.Id, PosixSignal.SIGTERM);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(limit.Token);
        return new ProcessResult(process.ExitCode, Lines(await stdout), Lines(await stderr));
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// SIGTERM at any moment of start-up ends glue with 0 (handled) or 143 (before the runtime could hand it to
    /// glue), and leaves no file of glue's; once glue runs, neither SIGTERM nor SIGKILL leaves a file of the
    /// runtime's in TMPDIR (a killed VM's control socket stays until list or run clean it up, see LifecycleTests).
    /// </summary>
    [KvmFact]
    public async Task A_signal_at_start_up_leaves_no_file_of_glue_or_the_runtime()
    {
        foreach (int delay in new[] { 0, 10, 30, 60, 100, 150, 250 })
        {
            using var tmp = new TempDirectory();
            using var runtime = new TempDirectory();
            using var process = StartCounter(runtime.Path, tmp.Path);
            await Task.Delay(delay);
            PosixSignal.Send(process.Id, PosixSignal.SIGTERM);
            int status = await ExitAsync(process);
            Assert.True(status is 0 or 128 + PosixSignal.SIGTERM, $"SIGTERM after {delay} ms: exit {status}");
            Assert.Empty(Directory.EnumerateFiles(runtime.Path, "*", SearchOption.AllDirectories));
            var runtimeFiles = Directory.EnumerateFileSystemEntries(tmp.Path).ToList();
            // Before Main, a SIGTERM kills the runtime where it stands; under Native AOT it has no such files at all.
            if (status == 0) Assert.True(runtimeFiles.Count == 0, $"SIGTERM after {delay} ms left: {string.Join(", ", runtimeFiles)}");
            output.WriteLine($"SIGTERM after {delay} ms: exit {status}, {runtimeFiles.Count} runtime files left");
        }
        foreach (int signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGKILL })
        {
            using var tmp = new TempDirectory();
            using var runtime = new TempDirectory();
            using var process = StartCounter(runtime.Path, tmp.Path);
            var clock = Stopwatch.StartNew();
            while (!Directory.EnumerateFiles(runtime.Path, "*.sock", SearchOption.AllDirectories).Any() && clock.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(5);
            PosixSignal.Send(process.Id, signal);
            int status = await ExitAsync(process);
            Assert.Equal(signal == PosixSignal.SIGTERM ? 0 : 128 + PosixSignal.SIGKILL, status);
            Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
            if (signal == PosixSignal.SIGTERM) Assert.Empty(Directory.EnumerateFiles(runtime.Path, "*", SearchOption.AllDirectories));
        }
    }

    private static Process StartCounter(string runtime, string tmp)
    {
        var start = GlueInvocation.StartInfo(runtime, ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=counter"]);
        start.Environment["TMPDIR"] = tmp;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<int> ExitAsync(Process process)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(limit.Token);
        return process.ExitCode;
    }

    [KvmFact]
    [Trait("Device", "blk"), Trait("Transport", "virtio-mmio")]
    public async Task A_disk_image_is_writable_in_one_vm_only_and_the_error_names_the_vm_that_has_it()
    {
        string disk = _directory.Write("shared.img", new byte[64 * 1024]);
        using (var holder = await RunningVm.StartAsync(_runtime.Path, "holder", "-d", disk))
        {
            var writer = await GlueInvocation.RunAsync(_runtime.Path, "run", "-k", TestEnvironment.Guest, "-n", "second", "-d", disk);
            Assert.True(writer.ExitCode == 2 && writer.Stderr is [var w] && w.Contains("VM 'holder'") && w.Contains($"(pid {holder.Pid})"), writer.Describe());
            var reader = await GlueInvocation.RunAsync(_runtime.Path, "run", "-k", TestEnvironment.Guest, "-n", "third", "-d", disk + ",ro");
            Assert.True(reader.ExitCode == 2 && reader.Stderr is [var r] && r.Contains("VM 'holder'") && r.Contains("open writable"), reader.Describe());
        }
        using var first = await RunningVm.StartAsync(_runtime.Path, "reader1", "-d", disk + ",ro");
        using var second = await RunningVm.StartAsync(_runtime.Path, "reader2", "-d", disk + ",ro");
        var late = await GlueInvocation.RunAsync(_runtime.Path, "run", "-k", TestEnvironment.Guest, "-n", "late", "-d", disk);
        Assert.True(late.ExitCode == 2 && late.Stderr is [var l] && l.Contains("VM 'reader"), late.Describe());
    }

    [KvmFact]
    [Trait("Device", "vsock"), Trait("Transport", "virtio-mmio")]
    public async Task A_vsock_cid_is_unique_per_host_and_its_lock_goes_with_the_vm()
    {
        ulong cid = (ulong)Random.Shared.Next(100_000, 900_000);
        string lockFile = $"/run/lock/glue-vsock-cid-{cid}.lock";
        using var otherRuntime = new TempDirectory();
        using (var vm = await RunningVm.StartAsync(_runtime.Path, "vsock", "--vsock", $"cid={cid},uds={_directory.Path}/a"))
        {
            var clash = await GlueInvocation.RunAsync(otherRuntime.Path, "run", "-k", TestEnvironment.Guest, "--vsock", $"cid={cid},uds={_directory.Path}/b");
            Assert.True(clash.ExitCode == 2 && clash.Stderr is [var c] && c.Contains($"cid {cid} is in use"), clash.Describe());
            Assert.True(KvmHost.Exists(lockFile));
            Assert.Equal(0, (await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "vsock")).ExitCode);
            Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        }
        Assert.False(KvmHost.Exists(lockFile), "the CID lock file stayed after the VM ended");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
        Assert.Empty(RuntimeFiles);
    }

    [KvmFact]
    public async Task List_removes_a_dead_glue_socket_and_nothing_else()
    {
        string directory = Path.Combine(_runtime.Path, "glue");
        Directory.CreateDirectory(directory);
        string regular = Path.Combine(directory, "notes.sock");
        File.WriteAllText(regular, "a user's file\n");
        string dead = Path.Combine(directory, "dead.sock");
        using (var vm = await RunningVm.StartAsync(_runtime.Path, "dead"))
        {
            vm.Signal(PosixSignal.SIGKILL);
            Assert.Equal(128 + PosixSignal.SIGKILL, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        }
        Assert.True(File.Exists(dead), "the killed VM's socket should still be there");
        var list = await GlueInvocation.RunAsync(_runtime.Path, "list");
        Assert.True(list.ExitCode == 0 && list.Stdout.Count == 1, list.Describe());
        Assert.True(File.Exists(regular), "glue list removed a regular file named *.sock");
        Assert.False(File.Exists(dead), "glue list left a dead socket");
    }

    [KvmFact, Trait("Category", "Soak")]
    public async Task Run_and_stop_cycles_leave_nothing_behind()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("GLUE_SOAK_RUN_CYCLES"), out int n) ? n : 5;
        var clock = Stopwatch.StartNew();
        var pids = new List<int>();
        for (int i = 0; i < cycles; i++)
        {
            using var vm = await RunningVm.StartAsync(_runtime.Path, "cycled");
            pids.Add(vm.Pid);
            var stop = await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "cycled");
            Assert.True(stop.ExitCode == 0, $"cycle {i}: {stop.Describe()}");
            Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));
            Assert.Empty(RuntimeFiles);
        }
        Assert.Empty(pids.SelectMany(pid => Directory.EnumerateFiles("/tmp", $"dotnet-diagnostic-{pid}-*")));
        output.WriteLine($"{cycles} run/stop cycles in {clock.Elapsed.TotalSeconds:F1} s, nothing left in the runtime directory or /tmp");
    }

    [GlueFact]
    [Trait("Transport", "vhost-user"), Trait("Device", "rng")]
    public async Task Frontend_connect_and_disconnect_cycles_grow_no_fds_threads_or_memory()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("GLUE_SOAK_CONNECT_CYCLES"), out int n) ? n : 100;
        string socket = Path.Combine(_directory.Path, "rng.sock");
        using var device = await GlueDevice.StartAsync(socket, ["rng", "--socket", socket]);
        var warm = ProcessUsage.Of(device.Pid);
        for (int i = 0; i < cycles; i++)
        {
            using var frontend = new VhostUserFrontend(socket);
            frontend.Send(VhostUserFrontend.GetFeatures, []);
            Assert.NotNull(frontend.ReadReply());
            if (i == cycles / 2) warm = await ProcessUsage.SettledAsync(device.Pid, i + 1, device);
        }
        var end = await ProcessUsage.SettledAsync(device.Pid, cycles, device);
        var result = await device.StopAsync();
        Assert.Equal(0, result.ExitCode);
        output.WriteLine($"{cycles} connect/disconnect cycles: fds {warm.Fds} -> {end.Fds}, threads {warm.Threads} -> {end.Threads}, RSS {warm.RssKiB} -> {end.RssKiB} KiB");
        // A leak grows with the cycles; the thread pool may add a worker or two once, whatever the count.
        Assert.True(end.Fds <= warm.Fds && end.Threads <= warm.Threads + 2 && end.RssKiB <= warm.RssKiB + 8 * 1024,
            $"grew: fds {warm.Fds} -> {end.Fds}, threads {warm.Threads} -> {end.Threads}, RSS {warm.RssKiB} -> {end.RssKiB} KiB");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }
}

/// <summary>A process's open fds, threads and resident memory, from /proc.</summary>
public sealed record ProcessUsage(int Fds, int Threads, long RssKiB)
{
    public static ProcessUsage Of(int pid)
    {
        int fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(' ', '\t').Last(s => s.Length > 0 && char.IsAsciiDigit(s[0])));
        return new ProcessUsage(fds, (int)Field("Threads"), Field("VmRSS"));
    }

    /// <summary>After the device has logged <paramref name="disconnects"/> frontends gone (its -v log), so a closing connection is not counted.</summary>
    public static async Task<ProcessUsage> SettledAsync(int pid, int disconnects, GlueDevice device)
    {
        var clock = Stopwatch.StartNew();
        while (device.Stderr.Count(l => l.Contains("the frontend is gone", StringComparison.Ordinal)) < disconnects && clock.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(5);
        return Of(pid);
    }
}
