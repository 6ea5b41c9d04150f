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
    private const uint DiskSeed = 0x12345678;
    private const long WriteFirst = 1001;
    private const long WriteCount = 23;
    private const uint WriteSeed = 0xdeadbeef;

    [VhostUserFsckFact]
    public async Task TheGuestReadsWritesAndMakesAFileSystemOnGlueDisks()
    {
        using var directory = new TempDirectory();
        var disk = TestDisk.Write(directory, "disk.img", 2048, DiskSeed);
        string filesystem = Path.Combine(directory.Path, "fs.img");
        using (var file = File.Create(filesystem)) file.SetLength(32 << 20);
        string diskSocket = Path.Combine(directory.Path, "disk.sock"), fsSocket = Path.Combine(directory.Path, "fs.sock");
        using var diskDevice = await GlueDevice.StartAsync(diskSocket, ["blk", "--socket", diskSocket, "--disk", disk.Path]);
        using var fsDevice = await GlueDevice.StartAsync(fsSocket, ["blk", "--socket", fsSocket, "--disk", filesystem]);

        var clock = Stopwatch.StartNew();
        var run = await QemuVhostUser.RunAsync(
            $"glue.blk.read={DiskSeed}:64 glue.blk.write={WriteFirst}:{WriteCount}:{WriteSeed} glue.blk.mkfs=1", [diskSocket, fsSocket],
            "-device", "vhost-user-blk-pci,chardev=c0", "-device", "vhost-user-blk-pci,chardev=c1");
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var diskRun = await diskDevice.StopAsync();
        var fsRun = await fsDevice.StopAsync();

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "blk.read", "blk.write", "blk.mkfs");
        foreach (var check in report.Checks.Values) output.WriteLine($"{check.Name} {check.Status} {check.Detail}");
        VhostUserAssert.ServedCleanly(diskRun);
        VhostUserAssert.ServedCleanly(fsRun);
        Assert.Null(disk.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed, fromWriteStart: true));
        var fsck = await BoundedProcess.RunAsync("e2fsck", ["-fn", filesystem], TimeSpan.FromSeconds(30));
        Assert.True(fsck.ExitCode == 0, $"expected e2fsck -fn to find the guest's file system clean; {fsck.Describe()}");
        if (TestEnvironment.OnPath("debugfs"))
        {
            var written = await BoundedProcess.RunAsync("debugfs", ["-R", "cat /glue-mkfs.txt", filesystem], TimeSpan.FromSeconds(30));
            Assert.True(written.Stdout.Contains("glue-linux blk.mkfs"), $"expected the guest's /glue-mkfs.txt in its file system; {written.Describe()}");
        }
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
