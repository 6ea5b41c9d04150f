using Xunit;

namespace Glue.BuildTests;

/// <summary>Assertions on a run of the test guest, whose failure messages carry everything the run printed.</summary>
public static class GuestAssert
{
    /// <summary>
    /// The run ended with <paramref name="exitCode"/>, the guest finished with some tests passed and none
    /// failed, and each of <paramref name="tests"/> is among the passed ones.
    /// </summary>
    public static GuestReport AllPassed(ProcessResult run, int exitCode, params string[] tests)
    {
        var report = GuestReport.Parse(run.Stdout);
        Assert.True(run.ExitCode == exitCode, $"expected exit status {exitCode}; {run.Describe()}");
        Assert.True(report.Done is { Passed: > 0, Failed: 0 }, $"expected GLUE-TEST-DONE n 0 with n > 0; {run.Describe()}");
        foreach (var test in tests)
            Assert.True(report.StatusOf(test) == "PASS", $"expected GLUE-TEST {test} PASS; {run.Describe()}");
        return report;
    }

    /// <summary>Whatever goes wrong, glue reports it in its own words, never with a .NET stack trace.</summary>
    public static void NoStackTrace(ProcessResult run)
    {
        Assert.False(run.Stderr.Any(line => line.Contains("   at ") || line.Contains("Exception")), $"expected no stack trace; {run.Describe()}");
    }
}
