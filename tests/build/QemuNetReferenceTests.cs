using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// The test guest's virtio-net driver and its ARP/ICMP/UDP stack pass under QEMU microvm (the reference), on a TAP
/// QEMU creates inside a namespace of the test's own: what NetDeviceTests asks of glue, asked of QEMU.
/// </summary>
[Trait("Category", "Reference")]
public class QemuNetReferenceTests(ITestOutputHelper output)
{
    private const string Tap = "qtap0";

    [QemuNetFact]
    public async Task Guest_answers_pings_and_sends_datagrams_under_qemu()
    {
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        var vm = ns.RunAsync(TimeSpan.FromSeconds(90),
            "timeout", "60", "qemu-system-x86_64", "-M", "microvm,acpi=off", "-enable-kvm", "-cpu", "host,-arch-capabilities",
            "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-m", "128", "-kernel", TestEnvironment.Guest, "-global", "virtio-mmio.force-legacy=false",
            "-netdev", $"tap,id=n0,ifname={Tap},script=no,downscript=no,vhost=off", "-device", "virtio-net-device,netdev=n0",
            "-append", NetPeer.GuestKey);
        await ns.WaitForLinkAsync(Tap, vm, TimeSpan.FromSeconds(20));
        await ns.ConfigureAsync(Tap, $"{NetPeer.HostIp}/24");

        var (_, rtt) = await NetPeer.ExchangeAsync(ns, vm);
        var run = await vm;

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "virtio", "net");
        output.WriteLine($"ping rtt avg {rtt} ms; {report.Tests["net"].Detail}");
    }
}
