using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux mounts glue's virtio-fs (`--fs`) with its own virtiofs driver and uses it as a user uses a shared
/// folder (tests/linux/checks/65-fs): create, write, append, truncate, rename over a file, mkdir and rmdir, symlink,
/// hard link, chmod, utimes, 300 small files, a 16 MiB file by SHA-256; it tries to leave the share through symlinks
/// the host placed pointing out, and to make device nodes; it sees a change the host makes; a second, read-only
/// share refuses a write with EROFS. In the software KVM host the share is on this machine's `/`, which the host
/// mounts over uncached 9p: every host call is a round trip through TCG, so the file is small. A run takes 45 to
/// 100 s there; the limit of 6 minutes ends one the emulator hung (tests/host/README.md) before it costs the suite
/// much. The host then checks its side (<see cref="FsShareScenario"/>).
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "fs")]
public class LinuxFsTests(ITestOutputHelper output)
{
    [FullLinuxBootFact, Trait("Transport", "virtio-pci")]
    public Task Linux_uses_a_shared_folder_on_virtio_pci_and_cannot_leave_it() => BootAndCheckAsync("pci");

    [FullLinuxBootFact, Trait("Transport", "virtio-mmio")]
    public Task Linux_uses_a_shared_folder_on_virtio_mmio_and_cannot_leave_it() => BootAndCheckAsync("mmio");

    private async Task BootAndCheckAsync(string transport)
    {
        using var scenario = new FsShareScenario(mib: 16);
        var clock = Stopwatch.StartNew();
        var vm = GlueBinary.RunAsync(["run", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"),
            "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"), "-c", "2", "-m", "512", "--virtio-transport", transport,
            "--fs", $"tag=shared,path={scenario.Share}", "--fs", $"tag=ro,path={scenario.ReadOnly},ro", "-p", scenario.Key], TimeSpan.FromMinutes(6));
        var changed = scenario.ChangeHostFileWhenAskedAsync(vm);
        var run = await vm;
        output.WriteLine($"glue run of Linux with --fs to its power-off: {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(await changed, $"the guest never wrote guest-waiting; {run.Describe()}");
        Assert.True(run.ExitCode == 0, $"expected glue to end with 0 on the guest's ACPI power-off; {run.Describe()}");
        var console = run with { Stdout = [.. run.Stdout, .. run.Stderr] };
        var report = LinuxReport.AssertPassed(console, "fs");
        output.WriteLine($"fs {report.Checks["fs"].Detail}");
        await scenario.AssertTheHostSeesWhatTheGuestDidAsync(report.Checks["fs"].Detail);
    }
}
