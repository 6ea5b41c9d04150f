using System.Diagnostics;
using System.Text;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// glue at a terminal, as a user runs it: `script` gives it one (where glue runs, so in the KVM host when that is
/// software). Piped stdin, which the other console tests use, never shows how glue reads a terminal.
/// </summary>
[Trait("Device", "virtio-console"), Trait("Device", "serial"), Trait("Transport", "virtio-mmio")]
public class ConsoleTerminalTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [KvmFact]
    public async Task At_a_terminal_keys_reach_the_guest_as_typed_and_ctrl_a_x_ends_glue()
    {
        using var runtime = new TempDirectory();
        // The test guest echoes what it reads on its virtio console and waits for all 100 bytes: glue must end first.
        string[] glue = [TestEnvironment.Binary, "run", "-k", TestEnvironment.Guest, "-p", "glue.console=echo:100", "--console", "virtio", "--virtio-transport", "mmio"];
        var start = KvmHost.StartInfo("script", ["-qfec", string.Join(' ', glue.Select(a => $"'{a}'")), "/dev/null"]);
        start.Environment["XDG_RUNTIME_DIR"] = runtime.Path;
        using var process = new Process { StartInfo = start };
        process.Start();
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer)) > 0)
                lock (output) output.Append(buffer, 0, read);
        });
        var stderr = process.StandardError.ReadToEndAsync();
        string Seen() { lock (output) return output.ToString(); }

        try
        {
            // No Enter: keys reach the guest one by one, and come back once, from the guest (no echo of glue's own).
            await process.StandardInput.WriteAsync("typed");
            await process.StandardInput.FlushAsync();
            var clock = Stopwatch.StartNew();
            while (!Seen().Contains("typed") && clock.Elapsed < Limit && !process.HasExited) await Task.Delay(50);
            Assert.True(Seen().Contains("typed"), $"the guest did not echo keys typed without Enter; output: {Seen()}");

            await process.StandardInput.WriteAsync("\u0001x");
            await process.StandardInput.FlushAsync();
            using var limit = new CancellationTokenSource(Limit);
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"glue did not end within {Limit.TotalSeconds} s of Ctrl-A x at a terminal; output: {Seen()}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        await reading;
        Assert.True(process.ExitCode == 0, $"exit status {process.ExitCode}; output: {Seen()}; stderr: {await stderr}");
        Assert.Equal(1, Seen().Split("typed").Length - 1);
    }
}
