using System.Diagnostics;
using Xunit;

namespace Glue.BuildTests;

/// <summary>Taking a guest's screen once it has finished drawing what the test waits for.</summary>
public static class ScreenCapture
{
    /// <summary>
    /// Captures the screen (with <paramref name="capture"/>, given a file name) until it differs from
    /// <paramref name="before"/> and two captures in a row agree: the guest's last rows have reached the scanout,
    /// however long a loaded machine takes to flush them. Returns that capture, or the last one taken when
    /// <paramref name="limit"/> (60 s by default) has passed, for the caller's checks to judge.
    /// </summary>
    public static async Task<PngImage> SettledAsync(PngImage before, Func<string, Task<PngImage>> capture, TimeSpan? limit = null)
    {
        var clock = Stopwatch.StartNew();
        var last = await capture("settled-0.png");
        for (int i = 1; clock.Elapsed < (limit ?? TimeSpan.FromSeconds(60)); i++)
        {
            var next = await capture($"settled-{i}.png");
            if (Same(next, last) && !Same(next, before)) return next;
            last = next;
        }
        return last;
    }

    /// <summary>`glue screenshot` of the VM named <paramref name="vm"/>, run where the VM is, into <paramref name="file"/> in the directory.</summary>
    public static async Task<PngImage> ScreenshotAsync(TempDirectory directory, string vm, string file)
    {
        string png = Path.Combine(directory.Path, file);
        var result = await GlueInvocation.RunAsync(directory.Path, "screenshot", "-n", vm, png);
        Assert.True(result.ExitCode == 0 && File.Exists(png), $"glue screenshot failed: {result.Describe()}");
        return PngImage.Decode(await File.ReadAllBytesAsync(png));
    }

    /// <summary>How many pixels differ in colour (the fourth byte is not compared).</summary>
    public static int Differs(uint[] a, uint[] b) => a.Zip(b).Count(pair => (pair.First & 0xffffff) != (pair.Second & 0xffffff));

    private static bool Same(PngImage a, PngImage b) =>
        (a.Width, a.Height) == (b.Width, b.Height) && a.Pixels.Zip(b.Pixels).All(pair => (pair.First & 0xffffff) == (pair.Second & 0xffffff));
}
