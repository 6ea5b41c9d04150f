using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// The Linux guest's checks (tests/linux/README.md) pass under QEMU TCG with QEMU's own virtio-pci devices, the
/// reference for glue's devices: two disks (a pattern read, a write read back, mkfs.ext4), an entropy device, and a
/// network card on a TAP in a namespace of the test's own. Afterwards the host finds the guest's write in the
/// disk's file and nothing else changed, and e2fsck finds the guest's file system clean, with its file. The vsock check needs
/// vhost_vsock on the host and is not run here.
/// </summary>
[Trait("Category", "Reference")]
public class QemuLinuxReferenceTests(ITestOutputHelper output)
{
    private const string Tap = "qtap0";
    private const string GuestAddress = "10.0.2.15/24";
    private const string HostAddress = "10.0.2.2";

    [QemuLinuxNetFact]
    public async Task Linux_checks_pass_with_qemus_virtio_pci_devices()
    {
        using var directory = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: false);

        var keys = $"{LinuxDiskScenario.Keys} glue.rng=1 glue.net={GuestAddress}:{HostAddress}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var vm = ns.RunAsync(TimeSpan.FromSeconds(120), ["timeout", "100", "qemu-system-x86_64", .. QemuLinuxGuest.Arguments(keys, [],
            "-drive", $"file={disks.Disk.Path},if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0",
            "-drive", $"file={disks.FileSystem},if=none,id=d1,format=raw", "-device", "virtio-blk-pci,drive=d1",
            "-device", "virtio-rng-pci",
            "-netdev", $"tap,id=n0,ifname={Tap},script=no,downscript=no,vhost=off", "-device", "virtio-net-pci,netdev=n0")]);
        await ns.WaitForLinkAsync(Tap, vm, TimeSpan.FromSeconds(20));
        await ns.ConfigureAsync(Tap, $"{HostAddress}/24");
        var run = await vm;
        output.WriteLine($"QEMU TCG ran {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, [.. LinuxDiskScenario.Checks, "rng", "net"]);
        foreach (var check in report.Checks.Values)
            output.WriteLine($"{check.Name} {check.Status} {check.Detail}");
        await disks.AssertTheHostSeesWhatTheGuestWroteAsync();
    }
}
