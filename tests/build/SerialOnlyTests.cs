using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Serial alone is enough to run the guest's tests. Without an i8042 the guest cannot reset, so the test stops
/// glue once the guest has finished.
/// </summary>
[Trait("Device", "serial")]
public class SerialOnlyTests
{
    [KvmFact]
    public async Task Guest_finishes_its_tests_with_serial_alone()
    {
        var run = await GlueBinary.RunAsync(
            ["run", "-k", TestEnvironment.Guest, "-p", "glue.cpus=1", "-c", "1"], BoundedProcess.DefaultLimit, "GLUE-TEST-DONE ");

        var report = GuestReport.Parse(run.Stdout);
        Assert.True(report.Done is { Passed: > 0, Failed: 0 }, $"expected GLUE-TEST-DONE n 0 with n > 0; {run.Describe()}");
    }
}
