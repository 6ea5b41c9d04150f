using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// `glue device` with options it cannot use: one `glue: ` line and exit status 2, nothing left behind. A build
/// without the vhost-user transport has no `glue device` at all, which is the same kind of error.
/// </summary>
public class VhostUserBadInputTests
{
    private static bool HasVhostUser =>
        Manifest.Load(TestEnvironment.ManifestPath, TestEnvironment.Repository).Present.Any(c => c.ShortName == "vhost-user");

    [GlueFact]
    public async Task Bad_device_commands_are_one_line_usage_errors()
    {
        using var directory = new TempDirectory();
        string image = directory.Write("disk.img", new byte[4096]);
        string socket = Path.Combine(directory.Path, "b.sock");
        string existing = directory.Write("taken", [1, 2, 3]);
        string[][] cases =
        [
            ["device", "blk", "--socket", Path.Combine(directory.Path, "missing", "b.sock"), "--disk", image],
            ["device", "blk", "--socket", socket],
            ["device", "blk", "--disk", image],
            ["device", "blk", "--socket", socket, "--disk", image, "--disk", image],
            ["device", "blk", "--socket", socket, "--disk", Path.Combine(directory.Path, "nope.img")],
            ["device", "blk", "--socket", existing, "--disk", image],
            ["device", "floppy", "--socket", socket],
        ];
        if (!HasVhostUser) cases = [cases[0]];
        foreach (var arguments in cases)
        {
            var run = await GlueInvocation.RunAsync(directory.Path, arguments);
            Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal),
                $"glue {string.Join(' ', arguments)}: {run.Describe()}");
            GuestAssert.NoStackTrace(run);
            Assert.False(File.Exists(socket), $"glue {string.Join(' ', arguments)} left {socket}");
        }
        Assert.Equal([1, 2, 3], File.ReadAllBytes(existing));
    }
}
