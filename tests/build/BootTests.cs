using Xunit;

namespace Glue.BuildTests;

/// <summary>The test guest boots, sees the vCPUs and memory it was given, and its reset ends glue with status 0.</summary>
[Trait("Device", "serial"), Trait("Device", "i8042")]
public class BootTests
{
    [KvmTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Guest_sees_every_vcpu(int cpus)
    {
        var run = await GlueBinary.BootAsync($"glue.cpus={cpus}", "-c", cpus.ToString());

        GuestAssert.AllPassed(run, 0, "smp", "cmdline", "irq");
    }

    [KvmTheory]
    [InlineData(128)]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task Guest_sees_all_its_memory(int mebibytes)
    {
        var run = await GlueBinary.BootAsync($"glue.mem={mebibytes}", "-m", mebibytes.ToString());

        GuestAssert.AllPassed(run, 0, "memmap", "cmdline", "irq");
    }

    [KvmFact]
    public async Task Guest_reset_ends_glue_with_status_zero()
    {
        var run = await GlueBinary.BootAsync("");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(GuestReport.Parse(run.Stdout).Done is not null, $"expected the guest to reset after GLUE-TEST-DONE; {run.Describe()}");
    }
}
