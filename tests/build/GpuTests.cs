using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest drives Glue's virtio-gpu on virtio-mmio as it drives QEMU's (QemuGpuReferenceTests): display
/// info, EDID, a resource with scattered backing drawn and flushed, a rectangle flushed alone, a cursor, and hostile
/// commands each answered with its error; Glue keeps running and exits 0. Bad --gpu values are one-line errors.
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Device", "gpu"), Trait("Device", "serial")]
public class GpuTests
{
    [KvmFact]
    public async Task Guest_drives_the_gpu_at_the_default_mode()
    {
        var run = await GlueBinary.BootAsync("glue.gpu=1280x800", "--gpu");

        var report = GuestAssert.AllPassed(run, 0, "gpu");
        Assert.Contains("edid 128 bytes 1280x800", report.Tests["gpu"].Detail);
        Assert.Contains("backing outside RAM 0x1205", report.Tests["gpu"].Detail);   // Glue's answer: VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER
        GuestAssert.NoStackTrace(run);
    }

    [KvmFact]
    public async Task The_mode_comes_from_the_option()
    {
        var run = await GlueBinary.BootAsync("glue.gpu=640x480", "--gpu", "width=640,height=480");

        var report = GuestAssert.AllPassed(run, 0, "gpu");
        Assert.Contains("mode 640x480", report.Tests["gpu"].Detail);
    }

    [KvmTheory]
    [InlineData("width=0")]
    [InlineData("width=5000,height=600")]
    [InlineData("max-memory=1M")]
    [InlineData("depth=32")]
    public async Task Bad_gpu_values_are_one_line_usage_errors(string value)
    {
        var run = await GlueBinary.BootAsync("", "--gpu", value);

        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.StartsWith("glue: --gpu", Assert.Single(run.Stderr));
        Assert.Empty(run.Stdout);   // refused before the guest ran
    }

    /// <summary>
    /// The scanout through `glue screenshot` while the guest holds the picture (until the test's line): exactly the picture.
    /// </summary>
    [KvmFact]
    public async Task Screenshot_shows_the_picture_the_guest_drew()
    {
        using var directory = new TempDirectory();
        string screenshot = Path.Combine(directory.Path, "screen.png");
        // The guest holds its picture until the test's line reaches its serial port (60 s at most).
        using var glue = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-k", TestEnvironment.Guest, "-n", "gpu-screenshot", "-p", "glue.gpu=1280x800:60000", "--gpu"]), keepStdin: true);

        await glue.WaitForLineAsync("GLUE-TEST gpu ", TimeSpan.FromSeconds(60));
        var shot = await GlueInvocation.RunAsync(directory.Path, "screenshot", "-n", "gpu-screenshot", screenshot);
        glue.SendLine("");
        var run = await glue.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(shot.ExitCode == 0, shot.Describe());
        GuestAssert.AllPassed(run, 0, "gpu");
        Assert.Null(GpuPicture.FirstDifference(PngImage.Decode(await File.ReadAllBytesAsync(screenshot)), 1280, 800));
    }

    /// <summary>
    /// A snapshot taken while the guest holds its picture, restored in a new glue: the restored screen is the picture
    /// (resources, backing and scanout come back by replaying their commands), and the guest goes on when its line comes.
    /// </summary>
    [KvmFact]
    public async Task A_restored_vm_shows_the_picture_its_snapshot_had()
    {
        using var directory = new TempDirectory();
        string snapshot = Path.Combine(directory.Path, "snapshot");
        using (var original = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-k", TestEnvironment.Guest, "-n", "gpu-original", "-p", "glue.gpu=1280x800:60000", "--gpu"]), keepStdin: true))
        {
            await original.WaitForLineAsync("GLUE-TEST gpu ", TimeSpan.FromSeconds(60));
            var taken = await GlueInvocation.RunAsync(directory.Path, "snapshot", "-n", "gpu-original", snapshot);
            Assert.True(taken.ExitCode == 0, taken.Describe());
            Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "stop", "-n", "gpu-original")).ExitCode);
            await original.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        using var restored = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path, ["run", "--restore", snapshot, "-n", "gpu-restored", "--gpu"]), keepStdin: true);
        // Its control socket answers before the screen is back: look until it is the picture, or 60 s have passed.
        string? difference = "no screenshot taken";
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); difference is not null && clock.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(200))
        {
            if (!File.Exists(Path.Combine(directory.Path, "glue", "gpu-restored.sock"))) continue;
            difference = GpuPicture.FirstDifference(await ScreenCapture.ScreenshotAsync(directory, "gpu-restored", "restored.png"), 1280, 800);
        }
        restored.SendLine("");
        var run = await restored.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(difference);
        Assert.True(run.ExitCode == 0, run.Describe());
    }
}
