using System.Diagnostics;
using System.Runtime.CompilerServices;
using Glue.Devices.Block.Qcow2;
using Xunit;
using static Glue.Tests.Devices.Block.Qcow2.QemuTools;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>
/// kill -9 in the middle of writing: a child process (this test assembly run as a program, see
/// <see cref="CrashWriter"/>) writes, discards, zeroes and flushes in a loop until it is killed at a random
/// moment; qemu-img check then finds no corruption (leaked clusters allowed), and the next run opens the image
/// and goes on. The bytes written before the last completed flush read back.
/// </summary>
[Collection(ImageFolder.Collection)]
public sealed class Qcow2CrashTests : ImageFolder
{
    [Theory]
    [InlineData("compat=1.1,cluster_size=4096", 20)]
    [InlineData("compat=0.10,cluster_size=512", 8)]
    public void An_image_killed_mid_write_is_free_of_corruption_and_keeps_what_was_flushed(string options, int kills)
    {
        string image = PathOf("disk.qcow2");
        Img("create", "-q", "-f", "qcow2", "-o", options, image, CrashWriter.DiskBytes.ToString());
        var random = new Random(9);
        for (int kill = 0; kill < kills; kill++)
        {
            string flushed = PathOf("flushed");
            File.Delete(flushed);
            using (var child = CrashWriter.Start(image, seed: kill, flushed))
            {
                // Killed at a random moment once it has written for a while (its first flush is the sign).
                var started = Stopwatch.StartNew();
                while (!File.Exists(flushed) && !child.HasExited && started.ElapsedMilliseconds < 60_000) Thread.Sleep(5);
                if (child.HasExited) Assert.Fail($"the writer ended by itself: {child.StandardError.ReadToEnd()}");
                Thread.Sleep(random.Next(1, 400));
                child.Kill();
                child.WaitForExit();
            }
            Check(image, leaksAllowed: true);
            // The marker the writer wrote (and flushed) into the first cluster, with the round it belongs to, is there.
            var marker = File.ReadAllText(flushed);
            using var glue = Qcow2Image.Open(image, readOnly: true, formatNamed: true);
            var first = new byte[marker.Length];
            Assert.Equal(0, Read(glue, 0, first));
            Assert.Equal(marker, System.Text.Encoding.ASCII.GetString(first));
        }
    }
}

/// <summary>
/// The child of <see cref="Qcow2CrashTests"/>: `dotnet Glue.Tests.dll` with GLUE_QCOW2_CRASH_WRITER=IMAGE;SEED;FLAG
/// runs this before the (empty) generated Main, and never returns: it writes until killed, creating FLAG after its
/// first flush.
/// </summary>
internal static class CrashWriter
{
    public const int DiskBytes = 16 << 20;
    private const string Variable = "GLUE_QCOW2_CRASH_WRITER";

    public static Process Start(string image, int seed, string flag)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileName(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(typeof(CrashWriter).Assembly.Location);
        start.Environment[Variable] = $"{image};{seed};{flag}";
        return Process.Start(start)!;
    }

#pragma warning disable CA2255 // the test assembly doubles as the child program only when the variable is set
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfChild()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { } arguments) return;
        string[] parts = arguments.Split(';');
        try
        {
            WriteUntilKilled(parts[0], int.Parse(parts[1]), parts[2]);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
        }
        Environment.Exit(1);
    }

    private static unsafe void WriteUntilKilled(string path, int seed, string flag)
    {
        var random = new Random(seed);
        var data = new byte[300_000];
        using var image = Qcow2Image.Open(path, readOnly: false, formatNamed: true);
        for (long step = 0; ; step++)
        {
            // Everything after the first 64 KiB, where the marker stays.
            int offset = 65536 + random.Next(DiskBytes - 65536 - data.Length), length = random.Next(1, data.Length);
            int error = random.Next(40) switch
            {
                < 30 => WriteRandom(image, random, data, offset, length),
                < 35 => image.Discard(offset, length),
                < 39 => image.WriteZeroes(offset, length, unmap: true),
                _ => image.Flush(),
            };
            if (error != 0) throw new IOException($"step {step}: errno {-error}");
            if (step == 50)
            {
                byte[] marker = System.Text.Encoding.ASCII.GetBytes($"glue crash writer seed {seed}");
                fixed (byte* p = marker)
                {
                    if (image.Write([new Glue.Core.Interop.Libc.IoVec { iov_base = p, iov_len = (nuint)marker.Length }], 0) != 0 || image.Flush() != 0)
                        throw new IOException("the marker write failed");
                }
                File.WriteAllBytes(flag, marker);
            }
        }
    }

    private static unsafe int WriteRandom(Qcow2Image image, Random random, byte[] data, int offset, int length)
    {
        random.NextBytes(data.AsSpan(0, length));
        fixed (byte* p = data) return image.Write([new Glue.Core.Interop.Libc.IoVec { iov_base = p, iov_len = (nuint)length }], offset);
    }
}
