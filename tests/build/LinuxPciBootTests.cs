using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The Debian kernel's early boot with a PCI device: the ECAM is reserved in its e820 map, the MCFG is among the
/// ACPI tables it lists (checksummed), and pci=off is not on its command line. MMCONFIG itself is set up later
/// (pci_arch_init) than a vmlinux gets on PVM; there the DSDT and MCFG are checked by iasl (tests/Glue.Tests).
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "i8042"), Trait("Device", "rng"), Trait("Transport", "virtio-pci")]
public class LinuxPciBootTests
{
    private const string EarlyPrintk = "earlyprintk=serial,ttyS0,115200";

    [LinuxFact]
    public async Task The_kernel_reads_the_ecam_reservation_and_the_mcfg_without_complaint()
    {
        var run = await GlueBinary.RunAsync(
            ["run", "-k", Path.Combine(TestEnvironment.Linux, "vmlinux"), "-m", "512", "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "--virtio-transport", "pci", "--rng", "-p", EarlyPrintk], TimeSpan.FromMinutes(6), "smpboot: Allowing");
        var log = new KernelLog(run.Stdout);

        string pvmWorkaround = TestEnvironment.IsPvmHost ? " clearcpuid=xsave" : "";
        Assert.Equal($"panic=1 reboot=k i8042.noaux i8042.nomux i8042.dumbkbd console=ttyS0{pvmWorkaround} {EarlyPrintk}", log.After("Command line: "));
        Assert.Contains("[mem 0x00000000f0000000-0x00000000f00fffff] reserved", log.AllAfter("BIOS-e820: "));
        Assert.Contains("GLUE   GLUEVM", log.After("ACPI: MCFG "));
        Assert.Empty(log.AllAfter("Incorrect checksum"));
        Assert.Empty(log.AllAfter("ACPI BIOS Warning"));
    }
}
