using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// The test guest's PCI driver against the reference: under QEMU q35 with modern virtio-pci devices
/// (`disable-legacy=on`) it enumerates through ECAM and mechanism #1, drives every device over virtio-pci with an
/// MSI-X vector per queue, and passes its glue.pci=1 checks (the PCI configuration access capability, a masked
/// vector's pending bit, reset, a configuration change on the config vector, moved BARs).
/// </summary>
[Trait("Category", "Reference")]
public class QemuPciReferenceTests(ITestOutputHelper output)
{
    private const long WriteFirst = 1001;
    private const long WriteCount = 23;
    private const uint WriteSeed = 99;
    private const int EchoBytes = 4096;

    private static readonly string[] PciChecks = ["pci-cfg-access", "pci-msix-mask", "pci-reset", "pci-config-change", "pci-bar-move"];

    [QemuFact]
    public async Task Guest_drives_virtio_pci_devices_under_qemu_q35()
    {
        using var directory = new TempDirectory();
        var writable = TestDisk.Write(directory, "writable.img", 2048, 0x12345678);
        var readOnly = TestDisk.Write(directory, "read-only.img", 128, 7);
        var console = Path.Combine(directory.Path, "console.sock");
        var input = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, EchoBytes).Select(i => (char)('!' + i * 7 % 94))));

        var blk0 = writable.GuestAttributes($"write:{WriteFirst}:{WriteCount}:{WriteSeed}", "id:glue-disk-0");
        var blk1 = readOnly.GuestAttributes("ro", "id:glue-disk-1");
        var vm = QemuQ35.BootAsync($"glue.cpus=2 glue.pci=1 glue.blk0={blk0} glue.blk1={blk1} glue.rng=1 glue.console=echo:{EchoBytes}",
            "-drive", $"id=rw,file={writable.Path},format=raw,if=none", "-device", "virtio-blk-pci,drive=rw,serial=glue-disk-0,disable-legacy=on",
            "-drive", $"id=ro,file={readOnly.Path},format=raw,if=none,readonly=on", "-device", "virtio-blk-pci,drive=ro,serial=glue-disk-1,disable-legacy=on",
            "-device", "virtio-rng-pci,disable-legacy=on",
            // Two queues and the config vector: QEMU's default of 2 entries would make the queues share one.
            "-device", "virtio-serial-pci,disable-legacy=on,vectors=3",
            // The console on a socket where QEMU runs (KvmHost): the input waits in it until the guest takes it.
            "-chardev", $"socket,id=c0,path={console},server=on,wait=off", "-device", "virtconsole,chardev=c0");
        using var consoleSocket = await KvmHost.ConnectWhenListeningAsync(console, TimeSpan.FromSeconds(30));
        await consoleSocket.SendAsync(input);
        var run = await vm;

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, ["pci", "virtio", "blk0", "blk1", "rng", "console", .. PciChecks]);
        Assert.True(report.Tests["pci"].Detail.Contains("mechanism #1 finds the same"), run.Describe());
        Assert.True(report.Tests["virtio"].Detail.StartsWith("4 devices:") && report.Tests["virtio"].Detail.Contains("(pci)"), run.Describe());
        foreach (var test in new[] { "blk0", "blk1", "rng" })
            Assert.True(report.Tests[test].Detail.Contains("config 0x") && report.Tests[test].Detail.Contains(", q0 0x"), $"{test}: no vector per queue; {run.Describe()}");
        // Receives interrupt on queue 0's vector, transmits on queue 1's: both vectors must have had some.
        Assert.Matches(@"q0 0x[0-9a-f]+ [1-9][0-9]*, q1 0x[0-9a-f]+ [1-9]", report.Tests["console"].Detail);
        // What the guest echoed waits in the socket, read after QEMU ended.
        var echoed = new byte[EchoBytes];
        using (var stream = new System.Net.Sockets.NetworkStream(consoleSocket, ownsSocket: false))
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await stream.ReadExactlyAsync(echoed, limit.Token);
        Assert.True(input.AsSpan().SequenceEqual(echoed), "the console's output is not the input");
        Assert.Null(writable.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed));
        Assert.Null(readOnly.DifferenceFromPattern());
    }

    /// <summary>What QemuNetReferenceTests asks of virtio-net-device on microvm, asked of virtio-net-pci on q35.</summary>
    [QemuNetFact]
    public async Task Guest_answers_pings_and_sends_datagrams_over_virtio_pci()
    {
        const string tap = "qtap0";
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        var vm = ns.RunAsync(TimeSpan.FromSeconds(90), QemuQ35.Command(NetPeer.GuestKey,
            "-netdev", $"tap,id=n0,ifname={tap},script=no,downscript=no,vhost=off", "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"));
        await ns.WaitForLinkAsync(tap, vm, TimeSpan.FromSeconds(20));
        await ns.ConfigureAsync(tap, $"{NetPeer.HostIp}/24");

        var (_, rtt) = await NetPeer.ExchangeAsync(ns, vm);
        var run = await vm;

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "pci", "virtio", "net");
        Assert.Contains(", q1 0x", report.Tests["net"].Detail);
        output.WriteLine($"ping rtt avg {rtt} ms; {report.Tests["net"].Detail}");
    }

    /// <summary>The driver takes modern devices only: a transitional one (QEMU's default) fails discovery by name.</summary>
    [QemuFact]
    public async Task Guest_refuses_transitional_virtio_pci_devices()
    {
        var run = await QemuQ35.BootAsync("glue.rng=1", "-device", "virtio-rng-pci");

        var report = GuestReport.Parse(run.Stdout);
        Assert.True(report.StatusOf("virtio") == "FAIL" && report.Tests["virtio"].Detail.Contains("transitional virtio device (0x1005)"),
            $"expected GLUE-TEST virtio FAIL naming the transitional device; {run.Describe()}");
    }

    /// <summary>microvm has no PCI: no MCFG, and nothing answers behind ports 0xcf8/0xcfc.</summary>
    [QemuFact]
    public async Task Guest_finds_no_pci_on_microvm()
    {
        var run = await QemuMicrovm.BootAsync("microvm", "glue.pci=0");

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "pci");
        Assert.Contains("no MCFG, 0 functions", report.Tests["pci"].Detail);
    }
}
