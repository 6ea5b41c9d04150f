using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `glue device net --net tap=NAME` inside a network namespace of the test's own serving QEMU's virtio-net-pci
/// over `-netdev vhost-user`: the guest pings the host side of the TAP three times.
/// QEMU 7.2 under TCG crashes (SIGSEGV in msix_set_vector_notifiers, from vhost_net_start, before it sends the
/// backend anything of the start) when the device uses MSI-X, so it runs with vectors=0 (INTx).
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "net")]
public class VhostUserNetTests(ITestOutputHelper output)
{
    private const string Tap = "vutap0";

    [VhostUserNetFact]
    public async Task The_guest_pings_the_host_through_glue_net()
    {
        using var directory = new TempDirectory();
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: false);
        string socket = Path.Combine(directory.Path, "net.sock");
        using var device = await GlueDevice.StartAsync(socket, ["net", "--socket", socket, "--net", $"tap={Tap}"], ns);
        await ns.ConfigureAsync(Tap, "10.0.2.2/24");

        var clock = Stopwatch.StartNew();
        var run = await QemuLinuxGuest.RunAsync("glue.net=10.0.2.15/24:10.0.2.2", [socket],
            "-netdev", "vhost-user,id=n0,chardev=c0", "-device", "virtio-net-pci,netdev=n0,vectors=0");
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var deviceRun = await device.StopAsync();

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "net");
        output.WriteLine($"net {report.Checks["net"].Detail}");
        VhostUserAssert.ServedCleanly(deviceRun);
        Assert.DoesNotContain(Tap, await ns.LinksAsync());
    }
}
