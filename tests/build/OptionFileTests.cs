using System.Diagnostics;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// A file an option names is looked at before it is opened, and opened so that nothing can block: a FIFO given as a
/// password file (whose open would wait for a writer for ever) is refused at once, and glue never sits where SIGTERM cannot end it.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "gpu")]
public class OptionFileTests
{
    [GlueFact]
    public async Task A_fifo_as_the_password_file_ends_glue_at_once_with_status_2()
    {
        using var directory = new TempDirectory();
        string fifo = Path.Combine(directory.Path, "f"), socket = Path.Combine(directory.Path, "g.sock");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        var start = GlueInvocation.Start(["device", "gpu", "--socket", socket, "--vnc", $":78,password-file={fifo}"]);
        using var glue = new Process { StartInfo = start };
        var clock = Stopwatch.StartNew();
        glue.Start();
        glue.StandardInput.Close();
        var stderr = glue.StandardError.ReadToEndAsync();
        // The hostile trial's command: SIGTERM a moment later. Glue has ended by then, or the signal ends it.
        await Task.Delay(300);
        if (!glue.HasExited) PosixSignal.Send(glue.Id, PosixSignal.SIGTERM);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await glue.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            glue.Kill();
            Assert.Fail($"glue still ran {clock.Elapsed.TotalSeconds:F1} s after it started, SIGTERM sent");
        }

        Assert.Equal(2, glue.ExitCode);
        Assert.Equal($"glue: --vnc password-file={fifo}: is a FIFO; it must be a regular file", (await stderr).Trim());
        Assert.False(File.Exists(socket));
    }
}
