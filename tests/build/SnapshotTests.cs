using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// glue snapshot and glue run --restore with the test guest counting (RunningVm): a restore in a new process counts on
/// from the next number, clones run side by side, and a snapshot that was tampered with is refused with one line.
/// </summary>
[Trait("Device", "serial")]
[Collection(nameof(LifecycleTests))]
public sealed class SnapshotTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private readonly TempDirectory _runtime = new();
    private readonly TempDirectory _snapshots = new();

    public void Dispose()
    {
        _runtime.Dispose();
        _snapshots.Dispose();
    }

    private Task<ProcessResult> Glue(params string[] arguments) => GlueInvocation.RunAsync(_runtime.Path, arguments);

    /// <summary>Snapshots a counting guest into a new directory and stops it; returns the directory and the last counter it printed.</summary>
    private async Task<(string Directory, long AtSnapshot)> SnapshotOfCounterAsync(string name)
    {
        string directory = Path.Combine(_snapshots.Path, name);
        using var vm = await RunningVm.StartAsync(_runtime.Path, name);
        await vm.WaitForCounterAsync(20, Limit);
        var snapshot = await Glue("snapshot", "-n", name, directory);
        Assert.True(snapshot.ExitCode == 0, snapshot.Describe());
        // The VM stays paused after its snapshot: its count holds still.
        await vm.WaitForCounterToHoldAsync(Second, Limit);
        Assert.Equal(0, (await Glue("stop", "-n", name)).ExitCode);
        Assert.Equal(0, await vm.WaitForExitAsync(Limit));
        // Where the snapshot was, from all the guest printed, now that its output has ended (a loaded host's pipe may
        // hold lines for longer than the count was watched): the end of its unbroken count. A line the snapshot cut
        // short is a prefix of the next number, never that number.
        long atSnapshot = vm.Counters.TakeWhile((counter, i) => counter == i).Last();
        return (directory, atSnapshot);
    }

    /// <summary>
    /// The restored guest's first whole counter line is the one after the snapshot's, or the one after that when the
    /// snapshot cut a line, whose rest ("TER 198") is then the restored guest's first output; then it counts with no gap.
    /// </summary>
    private static async Task AssertCountsOnAsync(RunningVm restored, long atSnapshot)
    {
        await restored.WaitForCounterAsync(atSnapshot + 20, Limit);
        var counters = restored.Counters;
        long first = counters[0];
        string rest = restored.FirstLine;
        bool cutLine = first == atSnapshot + 2 && rest.Length > 0 && $"GLUE-COUNTER {atSnapshot + 1}".EndsWith(rest, StringComparison.Ordinal);
        Assert.True(first == atSnapshot + 1 || cutLine, $"snapshot at {atSnapshot}, restored guest began with '{restored.FirstLine}'; {restored.Describe()}");
        Assert.Equal(Enumerable.Range(0, counters.Count).Select(i => first + i), counters);
    }

    [KvmFact]
    public async Task A_restored_vm_counts_on_from_where_its_snapshot_was_taken()
    {
        var (directory, atSnapshot) = await SnapshotOfCounterAsync("original");
        // Guest RAM is a sparse file: the test guest touches a few MiB of its 512 MiB.
        var memory = new FileInfo(Path.Combine(directory, "memory"));
        Assert.Equal(512L << 20, memory.Length);

        using var restored = await RunningVm.RestoreAsync(_runtime.Path, "restored", directory);
        await AssertCountsOnAsync(restored, atSnapshot);
        Assert.Equal(0, (await Glue("stop", "-n", "restored")).ExitCode);
        Assert.Equal(0, await restored.WaitForExitAsync(Limit));
    }

    [KvmFact]
    public async Task Two_clones_of_one_snapshot_run_at_once_under_their_own_names()
    {
        var (directory, atSnapshot) = await SnapshotOfCounterAsync("parent");
        using var first = await RunningVm.RestoreAsync(_runtime.Path, "clone-a", directory);
        using var second = await RunningVm.RestoreAsync(_runtime.Path, "clone-b", directory);
        await AssertCountsOnAsync(first, atSnapshot);
        await AssertCountsOnAsync(second, atSnapshot);
        // Each is its own VM: pausing one leaves the other counting.
        Assert.Equal(0, (await Glue("pause", "-n", "clone-a")).ExitCode);
        long held = await first.WaitForCounterToHoldAsync(Second, Limit);
        await second.WaitForCounterAsync(second.Counter + 20, Limit);
        Assert.Equal(held, first.Counter);
    }

    [KvmFact]
    public async Task A_snapshot_that_was_tampered_with_is_refused_with_one_line_naming_the_part()
    {
        var (directory, _) = await SnapshotOfCounterAsync("tampered");
        string state = File.ReadAllText(Path.Combine(directory, "state.json"));

        await AssertRefusedAsync(directory, "copy-truncated", "state.json: not valid JSON", copy => File.WriteAllText(Path.Combine(copy, "state.json"), state[..(state.Length / 2)]));
        await AssertRefusedAsync(directory, "copy-corrupted", "part 'vcpus' does not match its checksum",
            copy => File.WriteAllText(Path.Combine(copy, "state.json"), state.Replace("\"mpState\": 0", "\"mpState\": 3")));
        await AssertRefusedAsync(directory, "copy-manifest", "built from manifest 'another'",
            copy => File.WriteAllText(Path.Combine(copy, "state.json"), Regex.Replace(state, "\"manifest\": \"[^\"]*\"", "\"manifest\": \"another\"")));
        await AssertRefusedAsync(directory, "copy-format", "format version 99",
            copy => File.WriteAllText(Path.Combine(copy, "state.json"), state.Replace("\"formatVersion\": 1", "\"formatVersion\": 99")));
        await AssertRefusedAsync(directory, "copy-memory", "memory is 4096 bytes",
            copy => File.WriteAllBytes(Path.Combine(copy, "memory"), new byte[4096]));
        await AssertRefusedAsync(directory, "copy-missing", "no such directory", copy => Directory.Delete(copy, recursive: true));
    }

    /// <summary>A copy of the snapshot's state file beside a memory file of its size, changed; its restore exits 2 with one line, starts no VM and leaves no socket.</summary>
    private async Task AssertRefusedAsync(string snapshot, string name, string message, Action<string> change)
    {
        string copy = Path.Combine(_snapshots.Path, name);
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(snapshot, "state.json"), Path.Combine(copy, "state.json"));
        // Its size is what a restore checks before it maps it: a sparse file of that size, not a slow copy.
        using (var memory = File.Create(Path.Combine(copy, "memory"))) memory.SetLength(new FileInfo(Path.Combine(snapshot, "memory")).Length);
        change(copy);
        var result = await Glue("run", "--restore", copy, "-n", name);
        Assert.True(result.ExitCode == 2, result.Describe());
        string line = Assert.Single(result.Stderr);
        Assert.StartsWith("glue: --restore ", line);
        Assert.Contains(message, line);
        Assert.False(File.Exists(Path.Combine(_runtime.Path, "glue", name + ".sock")));
    }

    /// <summary>
    /// The test guest's io-seq mode keeps 16 disk writes and 8 entropy requests in flight, polled, and checks every
    /// request comes back once; snapshotted in the middle of that and restored in a new glue, it finishes its writes,
    /// finds each of its 64 slots holding the last write that came back to it, and passes.
    /// </summary>
    [KvmFact, Trait("Device", "blk"), Trait("Device", "rng"), Trait("Transport", "virtio-mmio")]
    public Task A_snapshot_taken_mid_io_on_virtio_mmio_restores_with_no_request_lost_or_repeated() => SnapshotMidIoAsync("mmio");

    [KvmFact, Trait("Device", "blk"), Trait("Device", "rng"), Trait("Transport", "virtio-pci")]
    public Task A_snapshot_taken_mid_io_on_virtio_pci_restores_with_no_request_lost_or_repeated() => SnapshotMidIoAsync("pci");

    private async Task SnapshotMidIoAsync(string transport)
    {
        // About 700 writes a second in the software KVM host; many more on hardware, where the snapshot must still land mid-way.
        int writes = KvmHost.IsSoftware ? 6000 : 200_000;
        string name = $"mid-io-{transport}", directory = Path.Combine(_snapshots.Path, name);
        string disk = Path.Combine(_snapshots.Path, $"{name}.raw");
        using (var file = File.Create(disk)) file.SetLength(1 << 20);
        string[] devices = ["--virtio-transport", transport, "-d", disk, "--rng"];
        using var original = WatchedProcess.Start(GlueInvocation.StartInfo(_runtime.Path,
            ["run", "-n", name, "-k", TestEnvironment.Guest, "-m", "512", .. devices, "-p", $"glue.mode=io-seq glue.io-seq={writes}"]));
        await original.WaitForLineAsync("GLUE-IO-SEQ 1024 ", Limit);
        var snapshot = await Glue("snapshot", "-n", name, directory);
        Assert.True(snapshot.ExitCode == 0, $"{snapshot.Describe()}; the VM: {original.Describe()}");
        Assert.Equal(0, (await Glue("stop", "-n", name)).ExitCode);
        var before = await original.WaitForExitAsync(Limit);
        Assert.DoesNotContain(before.Stdout, line => line.StartsWith("GLUE-IO-SEQ PASS", StringComparison.Ordinal) || line.StartsWith("GLUE-IO-SEQ FAIL", StringComparison.Ordinal));

        // A disk of another size than the snapshot's is refused before the guest runs, with one line and no socket left.
        string smaller = Path.Combine(_snapshots.Path, $"{name}-smaller.raw");
        using (var file = File.Create(smaller)) file.SetLength(1 << 19);
        var refused = await Glue(["run", "--restore", directory, "-n", $"{name}-smaller", "--virtio-transport", transport, "-d", smaller, "--rng"]);
        Assert.True(refused.ExitCode == 2, refused.Describe());
        Assert.Matches(@"^glue: --restore.*device 'blk@[a-z0-9-]+': the disk has 1024 sectors", Assert.Single(refused.Stderr));
        Assert.False(File.Exists(Path.Combine(_runtime.Path, "glue", $"{name}-smaller.sock")));

        using var restored = WatchedProcess.Start(GlueInvocation.StartInfo(_runtime.Path, ["run", "--restore", directory, "-n", $"{name}-restored", .. devices]));
        // The guest ends itself through the i8042 reset, which a manifest may not have: its verdict line is the end.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!restored.HasPrinted("GLUE-IO-SEQ PASS") && !restored.HasPrinted("GLUE-IO-SEQ FAIL") && !restored.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
            await Task.Delay(50);
        if (!restored.HasExited) await Glue("stop", "-n", $"{name}-restored");
        var after = await restored.WaitForExitAsync(Limit);
        Assert.True(after.ExitCode == 0 && after.Stdout.Any(line => line.StartsWith($"GLUE-IO-SEQ PASS {writes} writes", StringComparison.Ordinal)),
            $"expected the restored guest to finish its {writes} writes and pass; before the snapshot: {string.Join(" | ", before.Stdout.TakeLast(2))}; {after.Describe()}");
    }

    [KvmFact, Trait("Device", "fs")]
    public async Task Snapshot_refuses_a_vm_with_a_device_that_keeps_no_state_yet_and_the_vm_runs_on()
    {
        using var share = new TempDirectory();
        using var vm = await RunningVm.StartAsync(_runtime.Path, "with-fs", "--fs", $"tag=share,path={share.Path}");
        string directory = Path.Combine(_snapshots.Path, "with-fs");
        var result = await Glue("snapshot", "-n", "with-fs", directory);
        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.Contains("device 'fs' cannot be saved in a snapshot yet", Assert.Single(result.Stderr));
        Assert.False(Directory.Exists(directory));
        await vm.WaitForCounterAsync(vm.Counter + 20, Limit);
    }
}
