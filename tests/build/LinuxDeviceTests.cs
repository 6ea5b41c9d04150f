using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux under `glue run`, its own drivers checking glue's devices from inside (tests/linux/README.md): two
/// disks (a pattern read and written back, then ext4 made, mounted and checked, and a file's blocks given back with fstrim), the entropy device, the network on
/// a TAP in a namespace of the test's own (the guest pings the host), vsock to the host's Unix socket (a line
/// echoed), on each virtio transport, with -c 2 (the kernel brings both CPUs up) and ACPI
/// power-off ending glue with 0. On PCI the console is virtio's hvc0, so every line the checks print came
/// through it. The host then checks the disk files: the guest's write is there and e2fsck finds its file system clean.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "i8042"), Trait("Device", "blk"), Trait("Device", "rng"),
 Trait("Device", "net"), Trait("Device", "vsock")]
public class LinuxDeviceTests(ITestOutputHelper output)
{
    private const string Tap = "gtap0";
    private const int VsockPort = 52;

    /// <summary>
    /// /init and its checks write to the console it opened before virtio_console was loaded, the serial port, which is
    /// glue's stderr here; the kernel's log reaches hvc0, glue's terminal, as soon as the driver registers it.
    /// </summary>
    [FullLinuxBootFact, Trait("Transport", "virtio-pci"), Trait("Device", "virtio-console")]
    public async Task Linux_drives_every_device_on_virtio_pci_with_hvc0_as_its_console()
    {
        var run = await BootAndCheckAsync(["--virtio-transport", "pci", "--console", "virtio"]);
        Assert.Contains(run.Stdout, line => line.Contains("EXT4-fs (vdb): mounted filesystem", StringComparison.Ordinal));
    }

    [FullLinuxBootFact, Trait("Transport", "virtio-mmio")]
    public Task Linux_drives_every_device_on_virtio_mmio() => BootAndCheckAsync(["--virtio-transport", "mmio"]);

    private async Task<ProcessResult> BootAndCheckAsync(string[] transport)
    {
        using var directory = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        string uds = Path.Combine(directory.Path, "v.sock");
        using var vsock = await KvmHost.ListenAsync($"{uds}_{VsockPort}");
        int cid = Random.Shared.Next(100_000, 900_000);

        var keys = $"{LinuxDiskScenario.Keys} {LinuxDiskScenario.TrimKey} glue.rng=1 glue.net=10.0.2.15/24:{NetPeer.HostIp} glue.vsock={VsockPort}";
        var clock = Stopwatch.StartNew();
        var vm = ns.RunAsync(TimeSpan.FromMinutes(5), [TestEnvironment.Binary, "run", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"),
            "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"), "-c", "2", "-m", "512", .. transport,
            "-d", disks.Disk.Path, "-d", disks.FileSystem, "--rng", "--net", $"tap={Tap}", "--vsock", $"cid={cid},uds={uds}", "-p", keys]);
        var echo = EchoOneLineAsync(vsock);
        await ns.WaitForLinkAsync(Tap, vm, TimeSpan.FromSeconds(60));
        await ns.ConfigureAsync(Tap, $"{NetPeer.HostIp}/24");
        var run = await vm;
        output.WriteLine($"glue run of Linux to its power-off: {clock.Elapsed.TotalSeconds:F1} s{(KvmHost.IsSoftware ? " (in the software KVM host)" : "")}");

        Assert.True(run.ExitCode == 0, $"expected glue to end with 0 on the guest's ACPI power-off; {run.Describe()}");
        // Both of glue's streams: with hvc0 as its terminal, the serial port is on stderr.
        var console = run with { Stdout = [.. run.Stdout, .. run.Stderr] };
        var report = LinuxReport.AssertPassed(console, [.. LinuxDiskScenario.Checks, LinuxDiskScenario.TrimCheck, "rng", "net", "vsock"]);
        foreach (var check in report.Checks.Values)
            output.WriteLine($"{check.Name} {check.Status} {check.Detail}");
        Assert.Contains(console.Stdout, line => line.Contains("smp: Brought up 1 node, 2 CPUs", StringComparison.Ordinal));
        Assert.Equal("glue-vsock-hello", await echo);
        await disks.AssertTheHostSeesWhatTheGuestWroteAsync();
        await disks.AssertTheGuestTrimmedAsync();
        return run;
    }

    /// <summary>The host's side of the guest's vsock check: the line it gets on its port, echoed back.</summary>
    private static async Task<string> EchoOneLineAsync(KvmHost.Listener listener)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var connection = await listener.AcceptAsync(stop.Token);
        var line = new StringBuilder();
        var one = new byte[1];
        while (await connection.ReceiveAsync(one, stop.Token) == 1 && one[0] != '\n')
            line.Append((char)one[0]);
        await connection.SendAsync(Encoding.ASCII.GetBytes(line + "\n"), stop.Token);
        connection.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        return line.ToString();
    }
}
