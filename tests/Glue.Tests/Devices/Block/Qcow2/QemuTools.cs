using System.Diagnostics;
using Xunit;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>
/// QEMU's qemu-img and qemu-io (Debian's qemu-utils) as the peer that makes the images Glue reads and checks
/// the ones Glue writes. They are a test dependency: their absence fails these tests.
/// </summary>
internal static class QemuTools
{
    /// <summary>Runs a tool; returns its exit status and everything it printed.</summary>
    public static (int Status, string Output) Try(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail($"{tool} is not installed (apt-get install qemu-utils)");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(120_000))
            {
                process.Kill();
                Assert.Fail($"{tool} {string.Join(' ', arguments)} did not finish in 120 s");
            }
            return (process.ExitCode, stdout + stderr.Result);
        }
    }

    /// <summary>Runs a tool that must exit 0; returns what it printed.</summary>
    public static string Run(string tool, params string[] arguments)
    {
        var (status, output) = Try(tool, arguments);
        Assert.True(status == 0, $"{tool} {string.Join(' ', arguments)} exited {status}:\n{output}");
        return output;
    }

    public static string Img(params string[] arguments) => Run("qemu-img", arguments);

    /// <summary>qemu-io commands (-c each) on an image of the named format.</summary>
    public static void Io(string image, string format, params string[] commands)
    {
        var arguments = new List<string> { "-f", format };
        foreach (string command in commands) arguments.AddRange(["-c", command]);
        arguments.Add(image);
        string output = Run("qemu-io", [.. arguments]);
        Assert.DoesNotContain("failed", output, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The image's guest bytes as qemu-img convert -O raw gives them.</summary>
    public static byte[] RawBytes(string image, string folder)
    {
        string raw = Path.Combine(folder, $"raw-{Guid.NewGuid():N}.bin");
        Img("convert", "-O", "raw", image, raw);
        byte[] bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return bytes;
    }

    /// <summary>
    /// qemu-img check: fails on any corruption; leaked clusters fail only unless <paramref name="leaksAllowed"/>
    /// (exit status 3 is leaks alone, 2 corruption). Returns its report.
    /// </summary>
    public static string Check(string image, bool leaksAllowed = false)
    {
        var (status, output) = Try("qemu-img", "check", "-f", "qcow2", image);
        Assert.True(status == 0 || (leaksAllowed && status == 3), $"qemu-img check {image} exited {status}:\n{output}");
        return output;
    }

    /// <summary>qemu-img compare of the image with a raw file of the bytes it should hold.</summary>
    public static void Compare(string image, byte[] expected, string folder)
    {
        string raw = Path.Combine(folder, $"expected-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(raw, expected);
        var (status, output) = Try("qemu-img", "compare", "-f", "qcow2", "-F", "raw", image, raw);
        File.Delete(raw);
        Assert.True(status == 0, $"qemu-img compare exited {status}:\n{output}");
    }
}
