using System.Text.Json.Nodes;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Glue's virtio-gpu against QEMU's own, the reference: the same Debian kernel and Linux test guest, the same command
/// line, once under `glue run --gpu` and once under QEMU q35 with `-enable-kvm` and `virtio-gpu-pci` (both at
/// 1280x800), where KVM is. The guest's gpu check clears its framebuffer console and writes its marker rows; the
/// kernel's messages go to the serial port only and the cursor is off, so the picture is the marker alone. Glue's
/// `glue screenshot` and a VNC client's full frame must each equal QEMU's `screendump`, pixel for pixel.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "gpu"), Trait("Transport", "virtio-pci")]
public class LinuxScreenAgainstQemuTests
{
    private const string CommandLine = "console=ttyS0 vt.global_cursor_default=0 panic=-1 glue.gpu=30";

    [LinuxAgainstQemuFact]
    public async Task Linux_console_on_glues_gpu_equals_qemus_screendump_pixel_for_pixel()
    {
        using var directory = new TempDirectory();
        var (fromGlue, fromVnc) = await GlueScreenAsync(directory);
        var fromQemu = await QemuScreenAsync(directory);

        Assert.True(fromQemu.Pixels.Distinct().Take(2).Count() > 1, "QEMU's screen is blank after the marker");
        Assert.Equal((fromQemu.Width, fromQemu.Height), (fromGlue.Width, fromGlue.Height));
        Assert.Equal(0, ScreenCapture.Differs(fromQemu.Pixels, fromGlue.Pixels));
        Assert.Equal((fromQemu.Width, fromQemu.Height), (fromVnc.Width, fromVnc.Height));
        Assert.Equal(0, ScreenCapture.Differs(fromQemu.Pixels, fromVnc.Frame));
    }

    /// <summary>The marker on glue's display: `glue screenshot` once it has settled, and an RFB client's full frame.</summary>
    private static async Task<(PngImage Screenshot, (int Width, int Height, uint[] Frame) Vnc)> GlueScreenAsync(TempDirectory directory)
    {
        string vnc = Path.Combine(directory.Path, "vnc.sock");
        using var glue = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-n", "screen", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "-c", "2", "-m", "512", "--virtio-transport", "pci", "--gpu", "--vnc", $"unix:{vnc}", "-p", CommandLine]), keepStdin: true);
        await glue.WaitForLineAsync("GLUE-LINUX gpu console on fb0", TimeSpan.FromMinutes(3));
        var before = await ScreenCapture.ScreenshotAsync(directory, "screen", "glue-before.png");
        glue.SendLine("");   // the guest may write its marker
        await glue.WaitForLineAsync("GLUE-LINUX gpu PASS", TimeSpan.FromSeconds(60));
        var settled = await ScreenCapture.SettledAsync(before, name => ScreenCapture.ScreenshotAsync(directory, "screen", "glue-" + name));
        using var client = RfbTestClient.Over(await KvmHost.ConnectAsync(vnc));
        Assert.Null(client.Handshake());
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        return (settled, (client.Width, client.Height, client.Frame));
    }

    /// <summary>The marker on QEMU's virtio-gpu-pci: its screendump (over QMP) once it has settled.</summary>
    private static async Task<PngImage> QemuScreenAsync(TempDirectory directory)
    {
        string monitor = Path.Combine(directory.Path, "qmp.sock");
        using var qemu = WatchedProcess.Start(KvmHost.StartInfo("timeout",
            ["300", "qemu-system-x86_64", "-M", "q35", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-smp", "2", "-m", "512",
             "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none", "-serial", "stdio", "-device", "virtio-gpu-pci",
             "-qmp", $"unix:{monitor},server=on,wait=off",
             "-kernel", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-initrd", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "-append", CommandLine]), keepStdin: true);
        using var qmp = await QmpMonitor.ConnectAsync(monitor, TimeSpan.FromSeconds(30), inKvmHost: true);
        int captures = 0;
        async Task<PngImage> ScreendumpAsync(string name)
        {
            string png = Path.Combine(directory.Path, $"qemu-{captures++}-{name}");
            await qmp.ExecuteAsync("screendump", new JsonObject { ["filename"] = png, ["format"] = "png" });
            return PngImage.Decode(await File.ReadAllBytesAsync(png));
        }
        await qemu.WaitForLineAsync("GLUE-LINUX gpu console on fb0", TimeSpan.FromMinutes(3));
        var before = await ScreendumpAsync("before.png");
        qemu.SendLine("");
        await qemu.WaitForLineAsync("GLUE-LINUX gpu PASS", TimeSpan.FromSeconds(60));
        return await ScreenCapture.SettledAsync(before, ScreendumpAsync);
    }
}
