using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Linux's own virtio_gpu driver on Glue's GPU device: QEMU 10 under TCG (`vhost-user-gpu-pci`, which QEMU 7.2
/// refuses without KVM) boots the Linux test guest with its display served by `glue device gpu --socket S --vnc
/// ADDRESS`. Glue's VNC server, read by Debian's gvnccapture, shows the framebuffer console: not blank when the console
/// is up, and changed once the gpu check has written its marker rows. QEMU's own screendump shows the same picture
/// as Glue's VNC, which is what the vhost-user-gpu socket (SCANOUT and UPDATE messages) carried.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "gpu")]
public class VhostUserGpuTests
{
    [Qemu10Fact]
    public async Task Linux_console_through_glue_gpu_reaches_vnc_and_qemu()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "gpu.sock"), monitor = Path.Combine(directory.Path, "qmp.sock");
        int port = Qemu10.FreeVncPort();
        using var device = await GlueDevice.StartAsync(socket, ["gpu", "--socket", socket, "--vnc", $"127.0.0.1:{port}"]);
        using var qemu = Qemu10.Start("glue.gpu=6", [socket], "-device", "vhost-user-gpu-pci,chardev=c0", "-qmp", $"unix:{monitor},server=on,wait=off");
        using var qmp = await QmpMonitor.ConnectAsync(monitor, TimeSpan.FromSeconds(10), inKvmHost: false);

        await qemu.WaitForLineAsync("GLUE-LINUX gpu console on fb0", TimeSpan.FromMinutes(5));   // Linux under TCG on a loaded machine
        var atShell = await CaptureAsync(directory, port, "shell.png");
        Assert.False(qemu.HasPrinted("GLUE-LINUX gpu PASS"), "the guest wrote its marker before the host's line (it waits at most 60 s)");
        qemu.SendLine("");   // the screen is taken: the guest may write its marker
        await qemu.WaitForLineAsync("GLUE-LINUX gpu PASS", TimeSpan.FromSeconds(60));
        var afterMarker = await ScreenCapture.SettledAsync(atShell, name => CaptureAsync(directory, port, name));
        string qemuPng = Path.Combine(directory.Path, "qemu.png");
        await qmp.ExecuteAsync("screendump", new JsonObject { ["filename"] = qemuPng, ["format"] = "png" });
        var run = await qemu.WaitForExitAsync(TimeSpan.FromSeconds(40));
        var served = await device.StopAsync();

        Assert.Contains(run.Stdout, line => line.StartsWith("GLUE-LINUX gpu PASS fb0 virtio_gpu", StringComparison.Ordinal));
        Assert.Equal(0, served.ExitCode);
        Assert.True(Colours(atShell) > 1, $"the console before the marker is blank: {Colours(atShell)} colour(s)");
        Assert.True(Colours(afterMarker) > 1, "the console after the marker is blank");
        Assert.True(Differs(atShell, afterMarker) > 1000, $"the screen did not change when the guest wrote its marker ({Differs(atShell, afterMarker)} pixels)");
        var fromQemu = PngImage.Decode(await File.ReadAllBytesAsync(qemuPng));
        Assert.Equal((afterMarker.Width, afterMarker.Height), (fromQemu.Width, fromQemu.Height));
        Assert.Equal(0, Differs(afterMarker, fromQemu));
    }

    private static async Task<PngImage> CaptureAsync(TempDirectory directory, int port, string name)
    {
        string png = Path.Combine(directory.Path, name);
        var result = await BoundedProcess.RunAsync("gvnccapture", ["--quiet", $"127.0.0.1:{port - 5900}", png], TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0 && File.Exists(png), $"gvnccapture failed: {result.Describe()}");
        return PngImage.Decode(await File.ReadAllBytesAsync(png));
    }

    private static int Colours(PngImage image) => image.Pixels.Distinct().Take(2).Count();

    private static int Differs(PngImage a, PngImage b) => a.Pixels.Zip(b.Pixels).Count(pair => (pair.First & 0xffffff) != (pair.Second & 0xffffff));
}

/// <summary>QEMU 10 (unpacked by tests/linux/fetch-qemu-backports.sh into $GLUE_QEMU10) booting the Linux test guest with a framebuffer console.</summary>
public static class Qemu10
{
    public static string? Missing =>
        TestEnvironment.MissingForGlue ?? TestEnvironment.MissingForQemuLinux
        ?? (Environment.GetEnvironmentVariable("GLUE_QEMU10") is { Length: > 0 } folder
            ? File.Exists(Path.Combine(folder, "usr/bin/qemu-system-x86_64")) ? null : $"GLUE_QEMU10={folder} has no usr/bin/qemu-system-x86_64"
            : "GLUE_QEMU10 is unset (tests/linux/fetch-qemu-backports.sh unpacks QEMU 10 for vhost-user-gpu)")
        ?? (TestEnvironment.OnPath("gvnccapture") ? null : "gvnccapture is not installed (package gvncviewer)");

    /// <summary>
    /// The guest with `console=tty0 console=ttyS0` (the kernel's messages on the screen, /dev/console the serial port), no
    /// VGA, and no audio: QEMU would probe audio-pa, a module the unpacked packages lack, and load the system QEMU's.
    /// The console's cursor is off: it blinks, so two captures a moment apart would differ by its 16 pixels. Stdin stays
    /// open: the guest's serial console reads what the test sends (<see cref="WatchedProcess.SendLine"/>).
    /// </summary>
    public static WatchedProcess Start(string keys, IReadOnlyList<string> sockets, params string[] devices)
    {
        string q = Environment.GetEnvironmentVariable("GLUE_QEMU10")!;
        var arguments = QemuLinuxGuest.Arguments(keys, sockets, ["-vga", "none", "-audio", "none", .. devices]);
        int append = Array.IndexOf(arguments, "-append") + 1;
        arguments[append] = $"console=tty0 console=ttyS0 vt.global_cursor_default=0 panic=-1 {keys}";
        return WatchedProcess.Start("env", [$"QEMU_MODULE_DIR={q}/usr/lib/x86_64-linux-gnu/qemu", $"{q}/usr/bin/qemu-system-x86_64",
            "-L", $"{q}/usr/share/qemu", "-L", $"{q}/usr/share/seabios", .. arguments], keepStdin: true);
    }

    /// <summary>A free TCP port at 5900 or above, so that gvnccapture can name it as a display number.</summary>
    public static int FreeVncPort()
    {
        for (int port = 5900 + Random.Shared.Next(1000, 50000); ; port++)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }
}

public sealed class Qemu10FactAttribute : FactAttribute
{
    public Qemu10FactAttribute() => Skip = Qemu10.Missing;
}
