using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux's virtio_gpu and virtio_input drivers on `glue run --gpu --vnc unix:PATH --input`: the framebuffer
/// console comes up on glue's display (not blank at the shell, changed once the gpu check wrote its marker rows),
/// `glue screenshot` and a VNC client's full frame show the same picture pixel for pixel, and keys the VNC client
/// sends reach the guest's evdev node as Linux key codes, in order.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "i8042"), Trait("Device", "gpu"), Trait("Device", "input"),
 Trait("Transport", "virtio-pci")]
public class LinuxDisplayTests(ITestOutputHelper output)
{
    [FullLinuxBootFact]
    public async Task Linux_draws_its_console_on_glues_display_and_reads_keys_sent_over_vnc()
    {
        using var directory = new TempDirectory();
        string vnc = Path.Combine(directory.Path, "vnc.sock");
        // The kernel's messages on the screen as well, /dev/console the serial port; the blinking cursor off, so that
        // two captures a moment apart agree.
        using var glue = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-n", "screen", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "-c", "2", "-m", "512", "--virtio-transport", "pci", "--gpu", "--vnc", $"unix:{vnc}", "--input",
             "-p", "console=tty0 console=ttyS0 vt.global_cursor_default=0 glue.gpu=6 glue.input=4"]), keepStdin: true);

        await glue.WaitForLineAsync("GLUE-LINUX gpu console on fb0", TimeSpan.FromMinutes(3));
        var atShell = await ScreenCapture.ScreenshotAsync(directory, "screen", "shell.png");
        glue.SendLine("");   // the screen is taken: the guest may write its marker
        await glue.WaitForLineAsync("GLUE-LINUX gpu PASS", TimeSpan.FromSeconds(60));
        var afterMarker = await ScreenCapture.SettledAsync(atShell, name => ScreenCapture.ScreenshotAsync(directory, "screen", name));
        using var client = RfbTestClient.Over(await KvmHost.ConnectAsync(vnc));
        Assert.Null(client.Handshake());
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();

        Assert.True(Colours(atShell) > 1, "the console at the shell is blank");
        Assert.True(ScreenCapture.Differs(atShell.Pixels, afterMarker.Pixels) > 1000, "the screen did not change when the guest wrote its marker");
        Assert.Equal((afterMarker.Width, afterMarker.Height), (client.Width, client.Height));
        Assert.Equal(0, ScreenCapture.Differs(afterMarker.Pixels, client.Frame));

        await glue.WaitForLineAsync("GLUE-LINUX input listening", TimeSpan.FromSeconds(30));
        foreach (char key in "glue")
        {
            client.Key(key, true);
            client.Key(key, false);
        }
        var run = await glue.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, $"expected glue to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "gpu", "input");
        output.WriteLine(report.Checks["gpu"].Detail);
        // KEY_G, KEY_L, KEY_U, KEY_E (input-event-codes.h) on the keyboard glue names.
        Assert.Matches("^Glue Virtio Keyboard /dev/input/event[0-9]+: 34 38 22 18$", report.Checks["input"].Detail);
    }

    private static int Colours(PngImage image) => image.Pixels.Distinct().Take(2).Count();
}
