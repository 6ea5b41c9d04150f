using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>
/// Debian's own VNC clients against Glue's server serving the known pattern: gvnccapture (gtk-vnc, RFB 3.8) writes a
/// PNG that must match exactly, vncsnapshot (TightVNC, RFB 3.3 with its own pixel format) a JPEG that must match
/// within JPEG's error. ./build.sh installs both (packages gvncviewer, vncsnapshot) and djpeg (libjpeg-turbo-progs).
/// </summary>
public class RealVncClientTests
{
    private const int Width = 640, Height = 400;

    [Fact]
    public void Gvnccapture_takes_the_pattern_exactly()
    {
        using var server = new VncTestServer(width: Width, height: Height);
        string png = Path.Combine(server.Directory, "gvnccapture.png");

        TestImages.Run(Tool("gvnccapture"), "--quiet", $"127.0.0.1:{server.Port - 5900}", png);

        var image = TestImages.ReadPng(png);
        Assert.Equal((Width, Height), (image.Width, image.Height));
        TestImages.AssertPixels(server.Expected, Width, image.Pixels, 0, "gvnccapture's PNG");
    }

    [Fact]
    public void Gvnccapture_sees_a_later_change_too()
    {
        using var server = new VncTestServer(width: Width, height: Height);
        TestPatterns.FillRect(server.Display.Surface, new Glue.Display.ScreenRect(100, 50, 200, 120), 0x336699);
        string png = Path.Combine(server.Directory, "changed.png");

        TestImages.Run(Tool("gvnccapture"), "--quiet", $"127.0.0.1:{server.Port - 5900}", png);

        TestImages.AssertPixels(server.Expected, Width, TestImages.ReadPng(png).Pixels, 0, "gvnccapture after a change");
    }

    [Fact]
    public void Vncsnapshot_takes_the_pattern_within_jpeg_error()
    {
        using var server = new VncTestServer(width: Width, height: Height);
        string jpeg = Path.Combine(server.Directory, "vncsnapshot.jpg");

        TestImages.Run(Tool("vncsnapshot"), "-quiet", "-quality", "100", $"127.0.0.1:{server.Port - 5900}", jpeg);

        AssertJpegMatches(server.Expected, TestImages.ReadJpeg(jpeg), "vncsnapshot's JPEG");
    }

    [Fact]
    public void Vncsnapshot_authenticates_with_a_vnc_password_file()
    {
        using var server = new VncTestServer(password: "pa55word", width: Width, height: Height);
        string passwordFile = Path.Combine(server.Directory, "vncpasswd");
        File.WriteAllBytes(passwordFile, ObfuscatedVncPassword("pa55word"));
        string jpeg = Path.Combine(server.Directory, "authenticated.jpg");

        TestImages.Run(Tool("vncsnapshot"), "-quiet", "-quality", "100", "-passwd", passwordFile, $"127.0.0.1:{server.Port - 5900}", jpeg);

        AssertJpegMatches(server.Expected, TestImages.ReadJpeg(jpeg), "vncsnapshot's JPEG after VNC Authentication");
    }

    /// <summary>
    /// JPEG blurs colour at the bars' sharp edges (chroma subsampling) and rounds everywhere: nearly every pixel must be
    /// close, and the whole image closer still on average. A shifted, mis-ordered or wrongly scaled image fails both.
    /// </summary>
    private static void AssertJpegMatches(uint[] expected, TestImage image, string what)
    {
        Assert.Equal((Width, Height), (image.Width, image.Height));
        long total = 0;
        int far = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int worst = 0;
            for (int shift = 0; shift <= 16; shift += 8)
            {
                int difference = Math.Abs((int)((expected[i] >> shift) & 0xff) - (int)((image.Pixels[i] >> shift) & 0xff));
                total += difference;
                worst = Math.Max(worst, difference);
            }
            if (worst > 32) far++;
        }
        double mean = total / (3.0 * expected.Length);
        Assert.True(mean < 3 && far < expected.Length / 100, $"{what}: mean channel error {mean:F2}, {far} pixels off by more than 32");
    }

    /// <summary>
    /// The file vncpasswd writes: the password, zero-padded to 8 bytes, DES-encrypted under VNC's fixed key
    /// {23,82,107,6,35,78,88,7} (bit-reversed per byte for a standard DES, as in the authentication itself).
    /// </summary>
    private static byte[] ObfuscatedVncPassword(string password)
    {
        byte[] fixedKey = [23, 82, 107, 6, 35, 78, 88, 7];
        var key = fixedKey.Select(b => (byte)Enumerable.Range(0, 8).Sum(bit => ((b >> bit) & 1) << (7 - bit))).ToArray();
        var block = new byte[8];
        Encoding.ASCII.GetBytes(password).CopyTo(block, 0);
        using var des = DES.Create();
        des.Key = key;
        return des.EncryptEcb(block, PaddingMode.None);
    }

    private static string Tool(string name)
    {
        string path = $"/usr/bin/{name}";
        Assert.True(File.Exists(path), $"{name} is not installed: ./build.sh installs it (apt-get install gvncviewer vncsnapshot libjpeg-turbo-progs)");
        return path;
    }
}
