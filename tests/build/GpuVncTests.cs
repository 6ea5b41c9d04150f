using System.Text;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Debian's VNC clients take the test guest's picture through `glue run --gpu --vnc` while the guest holds it:
/// gvnccapture's PNG is exactly the picture, vncsnapshot's JPEG (decoded by djpeg) is within JPEG's error.
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Device", "gpu"), Trait("Device", "serial")]
public class GpuVncTests
{
    private const int Width = 1280, Height = 800;

    [KvmFact]
    public async Task Debian_clients_take_the_guests_picture_through_glues_vnc()
    {
        foreach (var tool in new[] { "gvnccapture", "vncsnapshot", "djpeg" })
            Assert.True(TestEnvironment.OnPath(tool), $"{tool} is not installed: ./build.sh installs it (gvncviewer, vncsnapshot, libjpeg-turbo-progs)");
        using var directory = new TempDirectory();
        int port = Qemu10.FreeVncPort();
        string png = Path.Combine(directory.Path, "gvnccapture.png"), jpeg = Path.Combine(directory.Path, "vncsnapshot.jpg");
        // The guest holds its picture until the test's line reaches its serial port (60 s at most).
        using var glue = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-k", TestEnvironment.Guest, "-p", $"glue.gpu={Width}x{Height}:60000", "--gpu", "--vnc", $"127.0.0.1:{port}"]), keepStdin: true);

        await glue.WaitForLineAsync("GLUE-TEST gpu ", TimeSpan.FromSeconds(60));
        // The clients run where the VM and its VNC port are.
        var gvnc = await BoundedProcess.RunAsync(KvmHost.StartInfo("gvnccapture", ["--quiet", $"127.0.0.1:{port - 5900}", png]), TimeSpan.FromSeconds(20), null, BoundedProcess.StopBy.Kill);
        var snapshot = await BoundedProcess.RunAsync(KvmHost.StartInfo("vncsnapshot", ["-quiet", "-quality", "100", $"127.0.0.1:{port - 5900}", jpeg]), TimeSpan.FromSeconds(20), null, BoundedProcess.StopBy.Kill);
        glue.SendLine("");
        var run = await glue.WaitForExitAsync(TimeSpan.FromSeconds(60));

        GuestAssert.AllPassed(run, 0, "gpu");
        Assert.True(gvnc.ExitCode == 0, gvnc.Describe());
        Assert.Null(GpuPicture.FirstDifference(PngImage.Decode(await File.ReadAllBytesAsync(png)), Width, Height));
        Assert.True(snapshot.ExitCode == 0, snapshot.Describe());
        var (width, height, pixels) = await DecodeJpegAsync(jpeg);
        Assert.Equal((Width, Height), (width, height));
        long total = 0;
        int far = 0;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                uint want = GpuPicture.Expected(x, y, Width, Height), got = pixels[y * Width + x];
                int worst = 0;
                for (int shift = 0; shift <= 16; shift += 8)
                {
                    int difference = Math.Abs((int)((want >> shift) & 0xff) - (int)((got >> shift) & 0xff));
                    total += difference;
                    worst = Math.Max(worst, difference);
                }
                if (worst > 48) far++;
            }
        double mean = total / (3.0 * Width * Height);
        // JPEG rounds everywhere and blurs sharp edges (the bars', the gradient's wrap): a shifted or mis-coloured image fails both.
        Assert.True(mean < 4 && far < Width * Height / 50, $"vncsnapshot's JPEG: mean channel error {mean:F2}, {far} pixels off by more than 48");
    }

    [KvmTheory]
    [InlineData("--gpu", "--vnc", "5900")]
    [InlineData("--gpu", "--vnc", ":x")]
    [InlineData("--gpu", "--vnc", "unix:")]
    [InlineData("--gpu", "--vnc", ":1,password-file=/nonexistent/vncpasswd")]
    [InlineData("--vnc", ":1")]
    public async Task Bad_vnc_values_are_one_line_usage_errors(params string[] arguments)
    {
        var run = await GlueBinary.BootAsync("", arguments);

        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.StartsWith("glue: --vnc", Assert.Single(run.Stderr));
        Assert.Empty(run.Stdout);
    }

    [KvmFact]
    public async Task A_vnc_address_in_use_is_a_usage_error_and_the_device_serves_nothing()
    {
        int port = Qemu10.FreeVncPort();
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        taken.Start();
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "gpu.sock");

        var run = await GlueBinary.RunAsync("device", "gpu", "--socket", socket, "--vnc", $"127.0.0.1:{port}");

        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.Contains("in use", Assert.Single(run.Stderr));
        Assert.False(File.Exists(socket), "glue device left its socket behind");
    }

    /// <summary>djpeg's binary PPM (P6): the header's width, height and maxval 255, then RGB triples.</summary>
    private static async Task<(int Width, int Height, uint[] Pixels)> DecodeJpegAsync(string jpeg)
    {
        string ppm = jpeg + ".ppm";
        var result = await BoundedProcess.RunAsync("djpeg", ["-pnm", "-outfile", ppm, jpeg], TimeSpan.FromSeconds(10));
        Assert.True(result.ExitCode == 0, result.Describe());
        var bytes = await File.ReadAllBytesAsync(ppm);
        int at = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)bytes[at])) at++;
            int start = at;
            while (!char.IsWhiteSpace((char)bytes[at])) at++;
            return Encoding.ASCII.GetString(bytes, start, at - start);
        }
        Assert.Equal("P6", Token());
        int width = int.Parse(Token()), height = int.Parse(Token());
        Assert.Equal("255", Token());
        at++;
        var pixels = new uint[width * height];
        for (int i = 0; i < pixels.Length; i++, at += 3) pixels[i] = (uint)(bytes[at] << 16 | bytes[at + 1] << 8 | bytes[at + 2]);
        return (width, height, pixels);
    }
}
