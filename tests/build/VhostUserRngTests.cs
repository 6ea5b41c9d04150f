using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>`glue device rng` serving QEMU's vhost-user-rng-pci: the guest's hw_random is virtio_rng and gives 1 MiB.</summary>
[Trait("Transport", "vhost-user"), Trait("Device", "rng")]
public class VhostUserRngTests(ITestOutputHelper output)
{
    [VhostUserFact]
    public async Task The_guest_reads_one_mib_from_glue_rng()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "rng.sock");
        using var device = await GlueDevice.StartAsync(socket, ["rng", "--socket", socket]);
        var clock = Stopwatch.StartNew();
        var run = await QemuLinuxGuest.RunAsync("glue.rng=1", [socket], "-device", "vhost-user-rng-pci,chardev=c0");
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var deviceRun = await device.StopAsync();

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "rng");
        output.WriteLine($"rng {report.Checks["rng"].Detail}");
        VhostUserAssert.ServedCleanly(deviceRun);
    }
}
