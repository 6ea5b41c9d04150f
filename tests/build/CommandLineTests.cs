using Xunit;

namespace Glue.BuildTests;

[Trait("Device", "serial"), Trait("Device", "i8042")]
public class CommandLineTests
{
    /// <summary>Spaces, quotes, punctuation and a long token must all arrive exactly as given with -p.</summary>
    private const string CommandLine = "glue.cpus=1 token=Zq7-x_9 path=/a/b,c:d quoted=\"two words\" " +
        "long=0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ last";

    [KvmFact]
    public async Task Command_line_reaches_the_guest_unchanged()
    {
        var run = await GlueBinary.BootAsync(CommandLine, "-c", "1");

        var report = GuestAssert.AllPassed(run, 0, "cmdline");
        Assert.Equal(CommandLine, report.Tests["cmdline"].Detail);
    }
}
