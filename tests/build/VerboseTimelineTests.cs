using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

[Trait("Device", "serial"), Trait("Device", "i8042")]
public partial class VerboseTimelineTests
{
    [KvmFact]
    public async Task Verbose_flag_prints_the_start_up_timeline()
    {
        var run = await GlueBinary.RunAsync("-v", "run", "-k", TestEnvironment.Guest);

        Assert.True(run.ExitCode == 0, run.Describe());
        foreach (var phase in new[] { "process start", "VM created", "memory mapped", "kernel loaded", "first KVM_RUN" })
        {
            Assert.True(run.Stderr.Any(line => line.Contains(phase, StringComparison.OrdinalIgnoreCase) && Milliseconds().IsMatch(line)),
                $"expected a stderr line with '{phase}' and a time in ms; {run.Describe()}");
        }
    }

    [GeneratedRegex(@"\d+(\.\d+)?\s*ms\b")]
    private static partial Regex Milliseconds();
}
