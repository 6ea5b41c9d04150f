using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// The virtio-net device on a host TAP: the test guest, on gtap0 inside a namespace of the test's own, answers
/// ARP and three pings from the host's 10.0.2.2 and sends it three UDP datagrams; its `net` line must PASS.
/// </summary>
[Trait("Device", "net"), Trait("Transport", "virtio-mmio"), Trait("Device", "serial"), Trait("Device", "i8042")]
public class NetDeviceTests(ITestOutputHelper output)
{
    private const string Tap = "gtap0";

    [KvmNetFact]
    public async Task Guest_answers_pings_and_sends_datagrams_through_the_tap()
    {
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        var vm = ns.RunAsync(TimeSpan.FromSeconds(60), TestEnvironment.Binary, "run", "-k", TestEnvironment.Guest, "--virtio-transport", "mmio", "--net", $"tap={Tap}",
            "-p", NetPeer.GuestKey);
        await ns.WaitForLinkAsync(Tap, vm, TimeSpan.FromSeconds(20));
        await ns.ConfigureAsync(Tap, $"{NetPeer.HostIp}/24");

        var (_, rtt) = await NetPeer.ExchangeAsync(ns, vm);
        var run = await vm;

        var report = GuestAssert.AllPassed(run, 0, "virtio", "net");
        output.WriteLine($"ping rtt avg {rtt} ms; {report.Tests["net"].Detail}");
        Assert.DoesNotContain(Tap, await ns.LinksAsync());   // gone with glue
    }

    /// <summary>A name longer than IFNAMSIZ - 1, or one the kernel refuses: exit 2, one line, and no TAP left behind.</summary>
    [KvmNetTheory]
    [InlineData("a-name-too-long-x")]
    [InlineData("bad/name")]
    public async Task Tap_that_cannot_be_created_is_a_usage_error(string name)
    {
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        var run = await ns.RunAsync(BoundedProcess.DefaultLimit, TestEnvironment.Binary, "run", "-k", TestEnvironment.Guest, "--net", $"tap={name}");

        Assert.True(run.ExitCode == 2, $"expected exit status 2; {run.Describe()}");
        Assert.True(run.Stderr is [var line] && line.StartsWith("glue: --net", StringComparison.Ordinal),
            $"expected exactly one stderr line starting 'glue: --net'; {run.Describe()}");
        GuestAssert.NoStackTrace(run);
        Assert.Equal(["lo"], await ns.LinksAsync());
    }
}
