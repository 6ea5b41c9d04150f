using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest drives Glue's virtio-mmio block and entropy devices: block device 0 is writable (pattern,
/// GET_ID, a 23-sector write and FLUSH), block device 1 read-only (pattern, GET_ID, a refused write), and the
/// entropy device gives 1 MiB. The guest also checks that every request's interrupt came, once. Glue is then
/// stopped with SIGTERM (unless the guest's i8042 reset already ended it) and the files are checked on the host.
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Device", "blk"), Trait("Device", "rng"), Trait("Device", "serial")]
public class VirtioMmioStorageTests
{
    private const long WriteFirst = 1001;
    private const long WriteCount = 23;
    private const uint WriteSeed = 99;
    private const string ExpectedDevices =
        "3 devices: blk 0xd0000000 irq 5 (cmdline), blk 0xd0001000 irq 6 (cmdline), rng 0xd0002000 irq 7 (cmdline); 0 empty slots";

    /// <summary>Glue names each device with a `virtio_mmio.device=4K@base:gsi` token, in --disk then --rng order.</summary>
    [KvmFact]
    public async Task Guest_drives_disks_and_rng_named_on_the_command_line()
    {
        var (run, writable, readOnly) = await RunStorageGuestAsync("glue.acpi=1");

        var report = GuestAssert.AllPassed(run, 0, "virtio", "blk0", "blk1", "rng", "acpi");
        Assert.Equal(ExpectedDevices, report.Tests["virtio"].Detail);
        Assert.Null(writable.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed));
        Assert.Null(readOnly.DifferenceFromPattern());
    }

    /// <summary>
    /// glue.virtio-scan gives window n the GSI first+n. Glue's GSIs are 5, 6, 7, 9, ..., so the scan key can
    /// describe up to three devices: scanning four windows from 0xd0000000 with GSIs from 5 must agree with
    /// the tokens for the three devices (the guest fails a window named twice with another GSI) and find no
    /// device in the fourth (unclaimed MMIO reads all ones: no MagicValue). The tokens come first, so the guest
    /// still drives the devices as found by them: the scan alone is not what found them.
    /// </summary>
    [KvmFact]
    public async Task Scanned_windows_agree_with_the_tokens()
    {
        var (run, writable, _) = await RunStorageGuestAsync("glue.virtio-scan=0xd0000000:0x1000:4:5");

        var report = GuestAssert.AllPassed(run, 0, "virtio", "blk0", "blk1", "rng");
        Assert.Equal(ExpectedDevices, report.Tests["virtio"].Detail);
        Assert.Null(writable.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed));
    }

    [KvmFact]
    public async Task Missing_disk_file_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--disk", Path.Combine(directory.Path, "no-such-disk.img"));
    }

    [KvmFact]
    public async Task Disk_of_not_whole_sectors_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        var disk = directory.Write("odd.img", new byte[1000]);
        var run = await AssertUsageErrorAsync(directory, "--disk", disk);
        Assert.Contains("1000 bytes", run.Stderr[0]);
        Assert.Equal(new byte[1000], File.ReadAllBytes(disk));
    }

    [KvmFact]
    public async Task Directory_as_disk_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--disk", directory.Path);
    }

    private static async Task<ProcessResult> AssertUsageErrorAsync(TempDirectory directory, params string[] options)
    {
        var before = Directory.GetFileSystemEntries(directory.Path).Order().ToArray();
        var run = await GlueBinary.BootAsync("glue.cpus=1", options);

        Assert.True(run.ExitCode == 2, $"expected exit status 2; {run.Describe()}");
        Assert.True(run.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal),
            $"expected exactly one stderr line starting 'glue: '; {run.Describe()}");
        GuestAssert.NoStackTrace(run);
        Assert.Equal(before, Directory.GetFileSystemEntries(directory.Path).Order().ToArray());
        return run;
    }

    private static async Task<(ProcessResult Run, TestDisk Writable, TestDisk ReadOnly)> RunStorageGuestAsync(string discoveryKeys)
    {
        using var directory = new TempDirectory();
        var writable = TestDisk.Write(directory, "writable.img", 2048, 0x12345678);
        var readOnly = TestDisk.Write(directory, "read-only.img", 128, 7);
        var blk0 = writable.GuestAttributes($"write:{WriteFirst}:{WriteCount}:{WriteSeed}", "id:glue-disk-0");
        var blk1 = readOnly.GuestAttributes("ro", "id:glue-disk-1");

        var run = await RunUntilDoneAsync(directory.Path,
            ["run", "-k", TestEnvironment.Guest, "--virtio-transport", "mmio", "-p", $"glue.cpus=1 {discoveryKeys} glue.blk0={blk0} glue.blk1={blk1} glue.rng=1",
             "--disk", $"{writable.Path},id=glue-disk-0", "--disk", $"{readOnly.Path},ro,id=glue-disk-1", "--rng"]);
        // The files are read before the directory goes: copy what the checks need.
        var writableCopy = writable with { Path = Keep(writable.Path) };
        var readOnlyCopy = readOnly with { Path = Keep(readOnly.Path) };
        return (run, writableCopy, readOnlyCopy);
    }

    /// <summary>A copy of a test's file that outlives its directory, removed at process exit.</summary>
    private static string Keep(string path)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"glue-build-tests-{Guid.NewGuid():N}-{Path.GetFileName(path)}");
        File.Copy(path, copy);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(copy);
        return copy;
    }

    /// <summary>
    /// Runs glue until it exits; once the guest prints GLUE-TEST-DONE a glue still running (no i8042 to reset
    /// through) gets SIGTERM, which ends it the way `glue stop` does: devices disposed, disks fsynced.
    /// </summary>
    private static Task<ProcessResult> RunUntilDoneAsync(string runtimeDirectory, string[] arguments) =>
        BoundedProcess.RunAsync(GlueInvocation.StartInfo(runtimeDirectory, arguments), TimeSpan.FromSeconds(60),
            "GLUE-TEST-DONE ", BoundedProcess.StopBy.Terminate);
}
