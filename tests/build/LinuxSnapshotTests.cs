using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux, using its virtio disk and RNG (tests/linux's glue.snapshot: a round a tenth of a second, each writing
/// 512 bytes from /dev/hwrng to its own sector and reading them back), is snapshotted part way by `glue snapshot`, its
/// glue stopped, and continued by `glue run --restore` in a new process given the same disk: the restored guest goes on
/// from the next round with Linux's own virtio drivers, finishes, finds every sector as its memory says it wrote it,
/// and powers off.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "blk"), Trait("Device", "rng")]
public class LinuxSnapshotTests(ITestOutputHelper output)
{
    private const int Rounds = 40;
    private const string RoundLine = "GLUE-LINUX-ROUND ";

    [FullLinuxBootFact, Trait("Transport", "virtio-pci")]
    public Task Linux_using_its_disk_and_rng_on_virtio_pci_goes_on_in_a_restored_glue() => SnapshotAndRestoreAsync("pci");

    [FullLinuxBootFact, Trait("Transport", "virtio-mmio")]
    public Task Linux_using_its_disk_and_rng_on_virtio_mmio_goes_on_in_a_restored_glue() => SnapshotAndRestoreAsync("mmio");

    private async Task SnapshotAndRestoreAsync(string transport)
    {
        using var directory = new TempDirectory();
        string disk = directory.Write("disk.raw", new byte[1 << 20]);
        string snapshot = Path.Combine(directory.Path, "snapshot");
        string[] devices = ["--virtio-transport", transport, "-d", disk, "--rng"];
        var clock = Stopwatch.StartNew();
        using var original = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-n", "original", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "-c", "2", "-m", "512", .. devices, "-p", $"glue.snapshot={Rounds}"]));
        await original.WaitForLineAsync(RoundLine + "10", TimeSpan.FromMinutes(5));
        var taken = await GlueInvocation.RunAsync(directory.Path, "snapshot", "-n", "original", snapshot);
        Assert.True(taken.ExitCode == 0, $"glue snapshot: {taken.Describe()}; the VM: {original.Describe()}");
        Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "stop", "-n", "original")).ExitCode);
        var before = await original.WaitForExitAsync(TimeSpan.FromSeconds(60));
        int atSnapshot = RoundsIn(before.Stdout).LastOrDefault();
        output.WriteLine($"snapshot after round {atSnapshot}, {clock.Elapsed.TotalSeconds:F1} s from the boot");
        Assert.True(atSnapshot is >= 10 and < Rounds, $"the original printed rounds up to {atSnapshot}; {before.Describe()}");

        clock.Restart();
        using var restored = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path, ["run", "--restore", snapshot, "-n", "restored", .. devices]));
        var after = await restored.WaitForExitAsync(TimeSpan.FromMinutes(10));
        output.WriteLine($"the restored guest ran to its power-off in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(after.ExitCode == 0, $"expected the restored guest to power off; {after.Describe()}");
        // Its shell said it was ready before the snapshot; the check's result and the end come after.
        var report = LinuxReport.Parse(after.Stdout);
        Assert.True(report.Done && report.Checks.TryGetValue("snapshot", out var check) && check.Status == "PASS", $"expected GLUE-LINUX snapshot PASS; {after.Describe()}");
        // The rounds go on from the one after the snapshot's (a round line the snapshot cut short is the first output's rest).
        var rounds = RoundsIn(after.Stdout);
        Assert.True(rounds.Count > 0 && rounds[0] is var first && (first == atSnapshot + 1 || first == atSnapshot + 2),
            $"snapshot after round {atSnapshot}; the restored guest printed rounds {string.Join(' ', rounds.Take(5))}...; {after.Describe()}");
        Assert.Equal(Enumerable.Range(rounds[0], Rounds - rounds[0] + 1), rounds);
    }

    private static List<int> RoundsIn(IEnumerable<string> lines) =>
        [.. lines.Where(line => line.StartsWith(RoundLine, StringComparison.Ordinal)).Select(line => int.TryParse(line[RoundLine.Length..], out int round) ? round : -1).Where(round => round > 0)];
}
