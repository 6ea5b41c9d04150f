using Xunit;

namespace Glue.BuildTests;

/// <summary>Guest code that KVM cannot emulate ends glue with status 1 and says where the guest was.</summary>
[Trait("Device", "serial")]
public class EmulationFailureTests
{
    [KvmFact]
    public async Task Emulation_failure_exits_one_and_shows_the_guest_rip()
    {
        var run = await GlueBinary.BootAsync("glue.mode=emulation-failure");

        Assert.True(run.ExitCode == 1, $"expected exit status 1; {run.Describe()}");
        Assert.True(GuestReport.Parse(run.Stdout).StatusOf("emulation-failure") == "START",
            $"expected the guest to reach its failing instruction; {run.Describe()}");
        Assert.True(run.Stderr.Any(line => line.Contains("emulation failure") && line.Contains("rip=0x")),
            $"expected a stderr line with 'emulation failure' and 'rip=0x'; {run.Describe()}");
        GuestAssert.NoStackTrace(run);
    }
}
