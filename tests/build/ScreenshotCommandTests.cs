using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// `glue screenshot` where it must fail: a name no VM has (exit 3, as pause has), and a VM without a display
/// (exit 2): one line each, and no file left behind. With a display, the gpu feature's tests take the picture.
/// </summary>
[Trait("Device", "serial")]
[Collection(nameof(LifecycleTests))]
public sealed class ScreenshotCommandTests : IDisposable
{
    private readonly TempDirectory _runtime = new();

    public void Dispose() => _runtime.Dispose();

    [GlueFact]
    public async Task A_screenshot_of_an_unknown_vm_exits_3_like_pause()
    {
        string file = Path.Combine(_runtime.Path, "none.png");
        var screenshot = await GlueInvocation.RunAsync(_runtime.Path, "screenshot", "-n", "nobody-here", file);
        var pause = await GlueInvocation.RunAsync(_runtime.Path, "pause", "-n", "nobody-here");

        Assert.Equal(3, pause.ExitCode);
        Assert.Equal(pause.ExitCode, screenshot.ExitCode);
        Assert.Equal(["glue: no VM named 'nobody-here'"], screenshot.Stderr);
        Assert.False(File.Exists(file));
    }

    [KvmFact]
    public async Task A_screenshot_of_a_vm_without_a_display_exits_2_and_writes_nothing()
    {
        using var vm = await RunningVm.StartAsync(_runtime.Path, "headless");
        string file = Path.Combine(_runtime.Path, "headless.png");

        var screenshot = await GlueInvocation.RunAsync(_runtime.Path, "screenshot", "-n", "headless", file);

        Assert.True(screenshot.ExitCode == 2, screenshot.Describe());
        Assert.Equal(["glue: VM 'headless' has no display: start it with --gpu to take screenshots"], screenshot.Stderr);
        Assert.False(File.Exists(file));
        Assert.Equal(0, (await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "headless")).ExitCode);
    }
}
