using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Every virtio device the test guest checks without a peer (two disks, entropy, the console) in one VM, on each
/// transport of the same binary, with no change to the devices; on PCI also the guest's own virtio-pci checks
/// (configuration access capability, masked MSI-X vector, reset, config-change vector, BAR move). Net and vsock,
/// which need a peer, have their own tests.
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Transport", "virtio-pci"), Trait("Device", "serial"), Trait("Device", "i8042"),
 Trait("Device", "blk"), Trait("Device", "rng"), Trait("Device", "virtio-console")]
public class VirtioTransportCombinationTests
{
    private const long WriteFirst = 1001, WriteCount = 23;
    private const uint WriteSeed = 99;

    [KvmTheory]
    [InlineData("mmio", "blk 0xd0000000 irq 5 (cmdline), blk 0xd0001000 irq 6 (cmdline), rng 0xd0002000 irq 7 (cmdline), console 0xd0003000 irq 9 (cmdline)")]
    [InlineData("pci", "blk pci 00:01.0 (pci), blk pci 00:02.0 (pci), rng pci 00:03.0 (pci), console pci 00:04.0 (pci)")]
    public async Task Every_device_works_on_the_chosen_transport(string transport, string devices)
    {
        using var directory = new TempDirectory();
        var writable = TestDisk.Write(directory, "writable.img", 2048, 0x12345678);
        var readOnly = TestDisk.Write(directory, "read-only.img", 128, 7);
        string pciChecks = transport == "pci" ? " glue.pci=1" : "";
        string keys = $"glue.cpus=1{pciChecks} glue.blk0={writable.GuestAttributes($"write:{WriteFirst}:{WriteCount}:{WriteSeed}", "id:glue-disk-0")} " +
            $"glue.blk1={readOnly.GuestAttributes("ro", "id:glue-disk-1")} glue.rng=1 glue.console=echo:4";

        var run = await GlueWithStdin.RunAsync(directory.Path, "pci!"u8.ToArray(), "run", "-k", TestEnvironment.Guest, "--virtio-transport", transport,
            "-p", keys, "--disk", $"{writable.Path},id=glue-disk-0", "--disk", $"{readOnly.Path},ro,id=glue-disk-1", "--rng", "--console", "virtio");

        // With the virtio console as the terminal, the serial port (the guest's report) writes to stderr.
        var report = GuestReport.Parse(run.Stderr);
        string[] tests = ["virtio", "blk0", "blk1", "rng", "console",
            .. transport == "pci" ? new[] { "pci", "pci-cfg-access", "pci-msix-mask", "pci-reset", "pci-config-change", "pci-bar-move" } : []];
        Assert.True(run.ExitCode == 0 && report.Done is { Passed: > 0, Failed: 0 }, $"expected GLUE-TEST-DONE n 0; {run.Describe()}");
        foreach (var test in tests) Assert.True(report.StatusOf(test) == "PASS", $"expected GLUE-TEST {test} PASS; {run.Describe()}");
        Assert.True(run.Stderr.Contains($"GLUE-TEST virtio PASS 4 devices: {devices}; 0 empty slots"), $"expected the devices on {transport}; {run.Describe()}");
        Assert.Null(writable.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed));
        Assert.Null(readOnly.DifferenceAfterWrite(0, 0, 0));
    }
}

/// <summary>A build with virtio-pci puts virtio devices on it by default (full and pci alike).</summary>
[Trait("Transport", "virtio-pci"), Trait("Device", "serial"), Trait("Device", "i8042"), Trait("Device", "rng")]
public class VirtioPciDefaultTests
{
    [KvmFact]
    public async Task Virtio_devices_go_on_pci_without_the_option_and_the_guest_finds_them_by_ecam_and_mechanism_1()
    {
        var run = await GlueBinary.BootAsync("glue.cpus=1 glue.pci=1 glue.rng=1", "--rng");
        GuestAssert.AllPassed(run, 0, "pci", "virtio", "rng", "pci-msix-mask", "pci-bar-move");
        Assert.Contains(run.Stdout, line => line.StartsWith("GLUE-TEST pci PASS ecam 0xf0000000 buses 0-0, 2 functions: 00:00.0 8086:0d57, 00:01.0 1af4:1044 [0 0xe0000000/0x8000 m64]"));
    }
}
