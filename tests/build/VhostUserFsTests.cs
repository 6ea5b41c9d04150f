using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `glue device fs` serving QEMU's vhost-user-fs-pci (guest RAM a shared memfd, QEMU under TCG): the Linux guest's
/// fs check (<see cref="FsShareScenario"/>) on two shares, one read-only, each a device on its own socket.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "fs")]
public class VhostUserFsTests(ITestOutputHelper output)
{
    [VhostUserFact]
    public async Task Linux_uses_a_shared_folder_served_by_glue_device_fs_and_cannot_leave_it()
    {
        using var scenario = new FsShareScenario(mib: 8);
        string shared = Path.Combine(scenario.Directory_, "a.sock"), readOnly = Path.Combine(scenario.Directory_, "b.sock");
        using var device = await GlueDevice.StartAsync(readOnly, ["fs", "--socket", shared, "--socket", readOnly,
            "--fs", $"tag=shared,path={scenario.Share}", "--fs", $"tag=ro,path={scenario.ReadOnly},ro"]);
        var clock = Stopwatch.StartNew();
        var vm = QemuLinuxGuest.RunAsync(scenario.Key, [shared, readOnly],
            "-device", "vhost-user-fs-pci,chardev=c0,tag=shared", "-device", "vhost-user-fs-pci,chardev=c1,tag=ro");
        var changed = scenario.ChangeHostFileWhenAskedAsync(vm);
        var run = await vm;
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var deviceRun = await device.StopAsync();

        Assert.True(await changed, "the guest never wrote guest-waiting");
        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "fs");
        output.WriteLine($"fs {report.Checks["fs"].Detail}");
        await scenario.AssertTheHostSeesWhatTheGuestDidAsync(report.Checks["fs"].Detail);
        VhostUserAssert.ServedCleanly(deviceRun);
    }
}
