using System.Text.Json.Nodes;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest's GPU driver against QEMU's virtio-gpu, the reference: on microvm's virtio-mmio bus
/// (`-device virtio-gpu-device`) the guest's gpu test passes, and QEMU's own screendump of the scanout, taken over
/// QMP while the guest holds the picture, is exactly the expected picture. So the driver (and with it what Glue's
/// device is tested against) draws what a real virtio-gpu shows.
/// </summary>
[Trait("Category", "Reference")]
public class QemuGpuReferenceTests
{
    private const int Width = 1280, Height = 800;   // QEMU's default mode (xres, yres)

    [QemuFact]
    public async Task Qemu_screendump_shows_the_picture_the_guest_drew()
    {
        using var directory = new TempDirectory();
        string monitor = Path.Combine(directory.Path, "qmp.sock"), screenshot = Path.Combine(directory.Path, "screen.png");
        // The guest holds its picture until the test's line reaches its serial port (60 s at most).
        using var qemu = WatchedProcess.Start(KvmHost.StartInfo("timeout", QemuMicrovm.Arguments("microvm,acpi=off", $"glue.gpu={Width}x{Height}:60000",
            "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-gpu-device", "-qmp", $"unix:{monitor},server=on,wait=off")), keepStdin: true);
        using var qmp = await QmpMonitor.ConnectAsync(monitor, TimeSpan.FromSeconds(10), inKvmHost: true);

        await qemu.WaitForLineAsync("GLUE-TEST gpu ", TimeSpan.FromSeconds(30));
        await qmp.ExecuteAsync("screendump", new JsonObject { ["filename"] = screenshot, ["format"] = "png" });
        qemu.SendLine("");
        var run = await qemu.WaitForExitAsync(TimeSpan.FromSeconds(30));

        GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "gpu");
        Assert.Null(GpuPicture.FirstDifference(PngImage.Decode(await File.ReadAllBytesAsync(screenshot)), Width, Height));
    }
}
