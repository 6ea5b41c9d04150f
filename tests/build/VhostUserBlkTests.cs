using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `glue device blk` serving QEMU's vhost-user-blk-pci: the Linux guest reads the pattern glue's host file holds,
/// writes its own pattern that the host then finds in the file, and makes an ext4 file system on a second
/// `glue device blk` that e2fsck on the host finds clean, with the guest's file in it.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "blk")]
public class VhostUserBlkTests(ITestOutputHelper output)
{
    [VhostUserFsckFact]
    public async Task The_guest_reads_writes_and_makes_a_file_system_on_glue_disks()
    {
        using var directory = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        string diskSocket = Path.Combine(directory.Path, "disk.sock"), fsSocket = Path.Combine(directory.Path, "fs.sock");
        using var diskDevice = await GlueDevice.StartAsync(diskSocket, ["blk", "--socket", diskSocket, "--disk", disks.Disk.Path]);
        using var fsDevice = await GlueDevice.StartAsync(fsSocket, ["blk", "--socket", fsSocket, "--disk", disks.FileSystem]);

        var clock = Stopwatch.StartNew();
        var run = await QemuLinuxGuest.RunAsync(
            LinuxDiskScenario.Keys, [diskSocket, fsSocket],
            "-device", "vhost-user-blk-pci,chardev=c0", "-device", "vhost-user-blk-pci,chardev=c1");
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var diskRun = await diskDevice.StopAsync();
        var fsRun = await fsDevice.StopAsync();

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, LinuxDiskScenario.Checks);
        foreach (var check in report.Checks.Values) output.WriteLine($"{check.Name} {check.Status} {check.Detail}");
        VhostUserAssert.ServedCleanly(diskRun);
        VhostUserAssert.ServedCleanly(fsRun);
        await disks.AssertTheHostSeesWhatTheGuestWroteAsync();
    }
}

/// <summary>What a `glue device` that served a good frontend shows.</summary>
public static class VhostUserAssert
{
    /// <summary>Exit 0 on SIGTERM, a frontend connected, and nothing it sent was refused.</summary>
    public static void ServedCleanly(ProcessResult run)
    {
        Assert.True(run.ExitCode == 0, $"expected glue device to end with 0 on SIGTERM; {run.Describe()}");
        Assert.Contains(run.Stderr, line => line.Contains("a frontend connected"));
        Assert.DoesNotContain(run.Stderr, line => line.Contains("refused") || line.Contains("disconnecting") || line.Contains("error"));
        GuestAssert.NoStackTrace(run);
    }
}
