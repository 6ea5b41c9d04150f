using Xunit;

namespace Glue.BuildTests;

/// <summary>The initrd given with -i reaches guest memory byte for byte, as the guest's CRC-32 of it shows.</summary>
[Trait("Device", "serial"), Trait("Device", "i8042")]
public class InitrdTests
{
    [KvmFact]
    public async Task Initrd_reaches_the_guest_intact()
    {
        using var directory = new TempDirectory();
        var initrd = TestInitrd.Write(directory);

        var run = await GlueBinary.BootAsync(initrd.GuestKey(), "-i", initrd.Path);

        GuestAssert.AllPassed(run, 0, "initrd");
    }

    /// <summary>Proves the check above can fail: told the wrong CRC, the guest must say FAIL.</summary>
    [KvmFact]
    public async Task Guest_reports_an_initrd_that_does_not_match()
    {
        using var directory = new TempDirectory();
        var initrd = TestInitrd.Write(directory);

        var run = await GlueBinary.BootAsync(initrd.GuestKey(initrd.Crc ^ 1), "-i", initrd.Path);

        var report = GuestReport.Parse(run.Stdout);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(report.StatusOf("initrd") == "FAIL", $"expected GLUE-TEST initrd FAIL; {run.Describe()}");
        Assert.True(report.Done is { Failed: > 0 }, $"expected GLUE-TEST-DONE to count the failure; {run.Describe()}");
    }
}
