using Xunit;

namespace Glue.BuildTests;

/// <summary>One `GLUE-LINUX &lt;name&gt; PASS|FAIL &lt;detail&gt;` line of a Linux guest check (tests/linux/README.md).</summary>
public sealed record LinuxCheck(string Name, string Status, string Detail);

/// <summary>
/// What the Linux test guest's /init and checks printed on the console. A line may carry the console's escape
/// sequences or a kernel message before the marker, so the marker is looked for anywhere in it.
/// </summary>
public sealed record LinuxReport(IReadOnlyDictionary<string, LinuxCheck> Checks, bool Ready, bool Done)
{
    private const string Marker = "GLUE-LINUX ";

    public static LinuxReport Parse(IEnumerable<string> lines)
    {
        var checks = new Dictionary<string, LinuxCheck>();
        bool ready = false, done = false;
        foreach (var line in lines)
        {
            ready |= line.Contains("GLUE-LINUX-SHELL ready", StringComparison.Ordinal);
            done |= line.Contains("GLUE-LINUX-DONE", StringComparison.Ordinal);
            var at = line.IndexOf(Marker, StringComparison.Ordinal);
            if (at >= 0 && line[(at + Marker.Length)..].Split(' ', 3) is [var name, var status, .. var rest])
                checks[name] = new LinuxCheck(name, status, rest.FirstOrDefault() ?? "");
        }
        return new LinuxReport(checks, ready, done);
    }

    /// <summary>The run got to GLUE-LINUX-DONE, and each of <paramref name="checks"/> printed PASS.</summary>
    public static LinuxReport AssertPassed(ProcessResult run, params string[] checks)
    {
        var report = Parse(run.Stdout);
        Assert.True(report.Ready && report.Done, $"expected GLUE-LINUX-SHELL ready and GLUE-LINUX-DONE; {run.Describe()}");
        foreach (var check in checks)
            Assert.True(report.Checks.TryGetValue(check, out var result) && result.Status == "PASS", $"expected GLUE-LINUX {check} PASS; {run.Describe()}");
        return report;
    }
}
