using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The ACPI tables and the MP table glue writes are found where an OS looks for them, are well formed, and
/// list the VM's CPUs and its I/O APIC (the guest's `acpi` and `mptable` tests, tests/guest/README.md).
/// </summary>
[Trait("Device", "serial"), Trait("Device", "i8042")]
public partial class FirmwareTableTests
{
    [KvmTheory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Guest_finds_valid_acpi_and_mp_tables(int cpus)
    {
        var run = await GlueBinary.BootAsync($"glue.cpus={cpus} glue.acpi=1 glue.mptable=1", "-c", cpus.ToString());

        var report = GuestAssert.AllPassed(run, 0, "acpi", "mptable", "smp");
        var acpi = report.Tests["acpi"].Detail;
        var mptable = report.Tests["mptable"].Detail;
        Assert.True(acpi.Contains("from start_info"), $"expected the RSDP to be found through start_info's rsdp_paddr; {run.Describe()}");
        var acpiIoapicId = IoapicId().Match(acpi);
        var mpIoapicId = IoapicId().Match(mptable);
        Assert.True(acpiIoapicId.Success && mpIoapicId.Success && acpiIoapicId.Groups[1].Value == mpIoapicId.Groups[1].Value,
            $"expected the MADT and the MP table to give the I/O APIC the same ID; {run.Describe()}");
    }

    /// <summary>The guest powers off as Linux does, through the FADT's sleep control register with \_S5's SLP_TYP: glue ends with 0.</summary>
    [KvmFact]
    public async Task Acpi_power_off_through_the_fadt_ends_glue_with_zero()
    {
        var run = await GlueBinary.RunAsync("-v", "run", "-k", TestEnvironment.Guest, "-p", "glue.acpi=1 glue.poweroff=acpi");

        Assert.Contains("GLUE-POWEROFF SLP_TYP 5 to port 0x600", run.Stdout);
        Assert.Contains(run.Stderr, line => line.EndsWith("the guest powered off (ACPI S5)"));
        Assert.Equal(0, run.ExitCode);
    }

    [GeneratedRegex(@"ioapic 0xfec00000 id (\d+)")]
    private static partial Regex IoapicId();
}
