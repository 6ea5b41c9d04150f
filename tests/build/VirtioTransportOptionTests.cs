using Xunit;

namespace Glue.BuildTests;

/// <summary>`--virtio-transport` picks among the transports the build has; one it lacks is a one-line usage error.</summary>
public class VirtioTransportOptionTests
{
    [KvmTheory]
    [InlineData("mmio")]
    [InlineData("pci")]
    public async Task A_transport_is_accepted_exactly_when_the_build_has_it(string transport)
    {
        var manifest = Manifest.Load(TestEnvironment.ManifestPath, TestEnvironment.Repository);
        bool built = manifest.PresentOf(ComponentKind.Transport).Any(c => c.ShortName == $"virtio-{transport}");
        using var directory = new TempDirectory();
        var run = await GlueBinary.RunAsync("run", "-k", Path.Combine(directory.Path, "no-such-kernel"), "--virtio-transport", transport);

        Assert.True(run.ExitCode == 2 && run.Stderr.Count == 1, $"expected exit 2 and one line; {run.Describe()}");
        if (built) Assert.Contains("no-such-kernel", run.Stderr[0]);   // past the transport, to the kernel it cannot read
        else Assert.StartsWith($"glue: --virtio-transport {transport}: this build has no virtio-{transport} transport", run.Stderr[0]);
        GuestAssert.NoStackTrace(run);
    }

    [GlueFact]
    public async Task An_unknown_transport_names_the_choices()
    {
        var run = await GlueBinary.RunAsync("run", "-k", "unused", "--virtio-transport", "virtio-blk");
        Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.StartsWith("glue: --virtio-transport virtio-blk: expected mmio or pci"),
            $"expected exit 2 and one line naming mmio and pci; {run.Describe()}");
    }
}

/// <summary>Bus 0 has 31 slots for devices: a 32nd PCI device is the user's mistake, said in one line.</summary>
[Trait("Transport", "virtio-pci"), Trait("Device", "blk")]
public class PciSlotTests
{
    [KvmFact]
    public async Task More_devices_than_bus_slots_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        var disks = Enumerable.Range(0, 32).SelectMany(i => new[] { "--disk", directory.Write($"d{i}.img", new byte[512]) }).ToArray();
        var run = await GlueBinary.RunAsync(["run", "-k", TestEnvironment.Guest, "--virtio-transport", "pci", .. disks]);

        Assert.True(run.ExitCode == 2 && run.Stderr is [var line]
            && line == "glue: no PCI slots on bus 0 left for a virtio-pci blk device: all 31 are taken (fewer devices, please)",
            $"expected exit 2 and one line about the PCI slots; {run.Describe()}");
        GuestAssert.NoStackTrace(run);
    }
}
