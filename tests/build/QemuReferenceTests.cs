using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest passes all its tests under QEMU, the reference VMM: a failure in glue's runs is then glue's,
/// not the guest's. It needs no glue binary, so ./build.sh test runs it with one manifest only.
/// </summary>
[Trait("Category", "Reference")]
public class QemuReferenceTests
{
    [QemuFact]
    public async Task Guest_passes_every_test_under_qemu()
    {
        using var directory = new TempDirectory();
        var initrd = TestInitrd.Write(directory);

        var run = await QemuMicrovm.BootAsync("microvm", $"glue.mem=128 glue.cpus=2 glue.acpi=1 glue.mptable=1 {initrd.GuestKey()}",
            "-initrd", initrd.Path);

        GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "memmap", "smp", "initrd", "cmdline", "irq", "acpi", "mptable");
    }

    /// <summary>microvm without ACPI: no RSDP anywhere, so `glue.acpi=0` holds; its firmware still writes the MP table.</summary>
    [QemuFact]
    public async Task Guest_finds_no_acpi_when_qemu_has_it_off()
    {
        var run = await QemuMicrovm.BootAsync("microvm,acpi=off", "glue.cpus=2 glue.acpi=0 glue.mptable=1");

        GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "acpi", "mptable", "smp");
    }

    /// <summary>Proves the table checks can fail: told of fewer CPUs than the VM has, both tables must say FAIL.</summary>
    [QemuFact]
    public async Task Guest_reports_tables_that_list_other_cpus()
    {
        var run = await QemuMicrovm.BootAsync("microvm", "glue.cpus=1 glue.acpi=1 glue.mptable=1");

        var report = GuestReport.Parse(run.Stdout);
        Assert.True(report.StatusOf("acpi") == "FAIL" && report.StatusOf("mptable") == "FAIL",
            $"expected GLUE-TEST acpi FAIL and mptable FAIL; {run.Describe()}");
    }
}
