using System.Text;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// `--console virtio`: the virtio console is the terminal. Host input reaches the guest through receiveq0 and its
/// echo comes back through transmitq0 on stdout, which then holds exactly the echoed bytes; the guest's report
/// lines, written to the UART, come out on stderr.
/// </summary>
[Trait("Device", "virtio-console"), Trait("Device", "serial"), Trait("Transport", "virtio-mmio")]
public class VirtioConsoleTests
{
    [KvmFact]
    public async Task Host_input_is_echoed_through_the_virtio_console()
    {
        using var runtime = new TempDirectory();
        // Printable bytes: Ctrl-A is the console escape and would not reach the guest as it is.
        var input = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4096).Select(i => (char)('!' + (i * 7 + i / 94) % 94))));
        var run = await GlueWithStdin.RunAsync(runtime.Path, input, "run", "-k", TestEnvironment.Guest, "-p", $"glue.console=echo:{input.Length}", "--console", "virtio", "--virtio-transport", "mmio");

        var report = GuestReport.Parse(run.Stderr);
        Assert.True(run.ExitCode == 0 && report.StatusOf("console") == "PASS" && report.Done is { Failed: 0 }, run.Describe());
        Assert.Contains("0 interrupts at DRIVER_OK", report.Tests["console"].Detail);
        Assert.True(input.AsSpan().SequenceEqual(run.Stdout), $"stdout is not exactly the input; {run.Describe()}");
    }

    [KvmFact]
    public async Task With_the_serial_console_there_is_no_virtio_console()
    {
        using var runtime = new TempDirectory();
        var run = await GlueWithStdin.RunAsync(runtime.Path, [], "run", "-k", TestEnvironment.Guest, "-p", "glue.console=echo:1", "--console", "serial");
        var report = GuestReport.Parse(Encoding.ASCII.GetString(run.Stdout).Split('\n'));
        Assert.True(report.StatusOf("console") == "FAIL" && report.Tests["console"].Detail.Contains("no console device"), run.Describe());
        Assert.Empty(run.Stderr);
    }

    [KvmFact]
    public async Task An_unknown_console_is_a_usage_error()
    {
        var run = await GlueBinary.RunAsync("run", "-k", TestEnvironment.Guest, "--console", "vga");
        Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.StartsWith("glue: ") && line.Contains("--console"), run.Describe());
    }
}
