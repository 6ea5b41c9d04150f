using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux with a life (<see cref="LinuxLife"/>: ext4 on its disk, a ping through its TAP, and each second a round
/// appended to a file, echoed over vsock and printed with /proc/uptime) is snapshotted part way, its glue stopped, and
/// continued by `glue run --restore` given the same disk, TAP and vsock socket: the rounds go on from the next one,
/// uptime goes on (no reboot, and the time the snapshot sat on disk is not the guest's), the ping's replies go on,
/// vsock connects again after its transport reset, the file holds every round once, and e2fsck finds the disk clean in
/// the guest and on the host. On pci the console is on the virtio-gpu display too, and the restored screen is the
/// snapshot's. Two clones restored from one snapshot at once, each with its own disk copy, TAP and vsock socket, both
/// live on to the end.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "blk"), Trait("Device", "net"), Trait("Device", "vsock")]
public partial class LinuxSnapshotLifeTests(ITestOutputHelper output)
{
    private const int Rounds = 16;
    private const int SnapshotAfter = 6;

    /// <summary>
    /// At least this long between the snapshot and the restore, more than rounds take in the software KVM host (up to
    /// 7 s each there): the time is not the guest's, so its uptime must go on by less.
    /// </summary>
    private static readonly TimeSpan OnDisk = TimeSpan.FromSeconds(30);

    [FullLinuxBootFact, Trait("Transport", "virtio-pci"), Trait("Device", "gpu")]
    public async Task Linux_with_a_disk_ping_vsock_and_display_on_virtio_pci_goes_on_in_a_restored_glue()
    {
        using var directory = new TempDirectory();
        var (original, snapshot, taken) = await LiveAndSnapshotAsync(directory, "pci", gpu: true);
        var screen = await ScreenCapture.ScreenshotAsync(directory, "original", "original.png");
        Assert.True(screen.Pixels.Count(pixel => (pixel & 0xffffff) != (screen.Pixels[0] & 0xffffff)) > 1000, "the snapshot's screen is blank: no console on the display");
        var last = await StopAsync(directory, original);

        var onDisk = await KeepOnDiskAsync(taken);
        using var restored = await LinuxLife.StartAsync(directory, "restored", original.Disk, "pci", gpu: true, Rounds, snapshot, paused: true);
        await AssertTheScreenComesBackAsync(directory, restored, screen);
        Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "resume", "-n", "restored")).ExitCode);
        await AssertItLivedOnAsync(restored, last, onDisk);
    }

    [FullLinuxBootFact, Trait("Transport", "virtio-mmio")]
    public async Task Linux_with_a_disk_ping_and_vsock_on_virtio_mmio_goes_on_in_a_restored_glue()
    {
        using var directory = new TempDirectory();
        var (original, snapshot, taken) = await LiveAndSnapshotAsync(directory, "mmio", gpu: false);
        var last = await StopAsync(directory, original);
        var onDisk = await KeepOnDiskAsync(taken);
        using var restored = await LinuxLife.StartAsync(directory, "restored", original.Disk, "mmio", gpu: false, Rounds, snapshot);
        await AssertItLivedOnAsync(restored, last, onDisk);
    }

    [FullLinuxBootFact, Trait("Transport", "virtio-pci")]
    public async Task Two_clones_restored_from_one_snapshot_at_once_live_on_each_with_its_own_disk_and_tap()
    {
        using var directory = new TempDirectory();
        var (original, snapshot, taken) = await LiveAndSnapshotAsync(directory, "pci", gpu: false);
        var last = await StopAsync(directory, original);
        string[] names = ["clone-a", "clone-b"];
        var disks = names.Select(name => Path.Combine(directory.Path, $"{name}.raw")).ToArray();
        foreach (string disk in disks)
            File.Copy(original.Disk, disk);
        var onDisk = await KeepOnDiskAsync(taken);
        using var a = await LinuxLife.StartAsync(directory, names[0], disks[0], "pci", gpu: false, Rounds, snapshot);
        using var b = await LinuxLife.StartAsync(directory, names[1], disks[1], "pci", gpu: false, Rounds, snapshot);
        await Task.WhenAll(AssertItLivedOnAsync(a, last, onDisk), AssertItLivedOnAsync(b, last, onDisk));
    }

    /// <summary>Boots the guest as "original", lets it live some rounds and snapshots it (it stays paused).</summary>
    private static async Task<(LinuxLife Original, string Snapshot, Stopwatch Taken)> LiveAndSnapshotAsync(TempDirectory directory, string transport, bool gpu)
    {
        string disk = Path.Combine(directory.Path, "disk.raw");
        using (var file = File.Create(disk)) file.SetLength(64 << 20);
        var original = await LinuxLife.StartAsync(directory, "original", disk, transport, gpu, Rounds);
        try
        {
            await original.Vm.WaitForLineAsync($"{Round.Prefix}{SnapshotAfter} ", TimeSpan.FromMinutes(5));
            string snapshot = Path.Combine(directory.Path, "snapshot");
            var taken = await GlueInvocation.RunAsync(directory.Path, "snapshot", "-n", "original", snapshot);
            Assert.True(taken.ExitCode == 0, $"glue snapshot: {taken.Describe()}; the VM: {original.Vm.Describe()}");
            return (original, snapshot, Stopwatch.StartNew());
        }
        catch
        {
            original.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the snapshot is <see cref="OnDisk"/> old; returns how old it is.</summary>
    private static async Task<TimeSpan> KeepOnDiskAsync(Stopwatch taken)
    {
        if (taken.Elapsed < OnDisk) await Task.Delay(OnDisk - taken.Elapsed);
        return taken.Elapsed;
    }

    /// <summary>Stops the original; its last round is where the restored guests go on from.</summary>
    private static async Task<Round> StopAsync(TempDirectory directory, LinuxLife original)
    {
        using (original)
        {
            Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "stop", "-n", "original")).ExitCode);
            var run = await original.Vm.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var rounds = Round.In(run.Stdout);
            Assert.True(rounds.Count >= SnapshotAfter, $"the original printed rounds {string.Join(' ', rounds.Select(r => r.Number))}; {run.Describe()}");
            return rounds[^1];
        }
    }

    /// <summary>The restored glue, still paused, shows what the original's screen showed at the snapshot.</summary>
    private static async Task AssertTheScreenComesBackAsync(TempDirectory directory, LinuxLife restored, PngImage before)
    {
        // The restored gpu replays its resources on its own thread once the vCPUs have their state: look until it has.
        var clock = Stopwatch.StartNew();
        string socket = Path.Combine(directory.Path, "glue", "restored.sock");
        int differing = -1;
        while (differing != 0 && clock.Elapsed < TimeSpan.FromSeconds(60) && !restored.Vm.HasExited)
        {
            await Task.Delay(200);
            if (!KvmHost.Exists(socket)) continue;
            differing = ScreenCapture.Differs((await ScreenCapture.ScreenshotAsync(directory, "restored", "restored.png")).Pixels, before.Pixels);
        }
        Assert.True(differing == 0, $"the restored screen: {(differing < 0 ? "not taken" : $"{differing} pixels differ from the snapshot's")}; {restored.Vm.Describe()}");
    }

    private async Task AssertItLivedOnAsync(LinuxLife life, Round last, TimeSpan onDisk)
    {
        var run = await life.Vm.WaitForExitAsync(TimeSpan.FromMinutes(10));
        Assert.True(run.ExitCode == 0, $"expected {life.Name} to power off; {run.Describe()}");
        // Its shell said it was ready before the snapshot; the check's result and the end come after.
        var report = LinuxReport.Parse(run.Stdout);
        Assert.True(report.Done && report.Checks.TryGetValue("life", out var check) && check.Status == "PASS", $"expected GLUE-LINUX life PASS; {run.Describe()}");
        var after = Round.In(run.Stdout);
        output.WriteLine($"{life.Name}: snapshot after round {last.Number} (up {last.Centiseconds} cs, {last.Pings} ping replies), {onDisk.TotalSeconds:F0} s on disk; rounds after the restore " +
                         string.Join(' ', after.Select(r => $"{r.Number}:{r.Centiseconds}cs/{r.Pings}/{(r.Vsock ? "ok" : "fail")}")));

        // From where it stopped: the next round, or the one after when the snapshot cut the next one's line short.
        Assert.True(after.Count > 0 && after[0].Number - last.Number is 1 or 2, $"{life.Name} went on with rounds {string.Join(' ', after.Select(r => r.Number))} after {last.Number}");
        Assert.Equal(Enumerable.Range(after[0].Number, Rounds - after[0].Number + 1), after.Select(r => r.Number));
        // No reboot, and the time the snapshot was on disk is not the guest's.
        int gap = after[0].Centiseconds - last.Centiseconds;
        Assert.True(gap > 0 && gap < onDisk.TotalMilliseconds / 10, $"uptime went from {last.Centiseconds} cs to {after[0].Centiseconds} cs; the snapshot was on disk {onDisk.TotalSeconds:F0} s");
        Assert.True(after[0].Pings >= last.Pings && after[^1].Pings >= after[0].Pings + 3, $"ping replies {last.Pings} at the snapshot, then {string.Join(' ', after.Select(r => r.Pings))}");
        // The transport reset may cut the connection of the round the snapshot caught, no other.
        Assert.True(after.Skip(1).All(r => r.Vsock), $"vsock after the restore: {string.Join(' ', after.Select(r => r.Vsock ? "ok" : "fail"))}");
        Assert.Equal(after.Where(r => r.Vsock).Select(r => $"life {r.Number}"), life.Echoed());

        var fsck = await BoundedProcess.RunAsync("e2fsck", ["-fn", life.Disk], TimeSpan.FromSeconds(60));
        Assert.True(fsck.ExitCode == 0, $"expected e2fsck -fn to find {life.Name}'s disk clean on the host; {fsck.Describe()}");
        var file = await BoundedProcess.RunAsync("debugfs", ["-R", "cat /rounds", life.Disk], TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, Rounds).Select(i => i.ToString(CultureInfo.InvariantCulture)), file.Stdout);
    }

    /// <summary>One GLUE-LIFE line of the guest.</summary>
    private sealed partial record Round(int Number, int Centiseconds, int Pings, bool Vsock)
    {
        public const string Prefix = "GLUE-LIFE ";

        public static List<Round> In(IEnumerable<string> lines) =>
            [.. lines.Select(line => Line().Match(line)).Where(m => m.Success).Select(m => new Round(
                Integer(m.Groups[1]), Integer(m.Groups[2]), Integer(m.Groups[3]), m.Groups[4].Value == "ok"))];

        private static int Integer(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

        [GeneratedRegex(@"^GLUE-LIFE (\d+) up=(\d+) ping=(\d+) vsock=(ok|fail)$")]
        private static partial Regex Line();
    }
}
