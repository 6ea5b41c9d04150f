using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// qemu-img (Debian's qemu-utils) on this machine, the peer that makes the qcow2 images glue serves and then
/// judges what glue left in them: check, convert to raw, map. The image files are on the shared `/`, so glue in the
/// KVM host and qemu-img here see the same bytes.
/// </summary>
public static class QemuImg
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Null when qemu-img is there.</summary>
    public static string? Missing => TestEnvironment.OnPath("qemu-img") ? null : "qemu-img is not installed (apt-get install qemu-utils)";

    /// <summary>Runs qemu-img, which must exit 0; returns its stdout.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var run = await BoundedProcess.RunAsync("qemu-img", arguments, Limit);
        Assert.True(run.ExitCode == 0, $"qemu-img {string.Join(' ', arguments)}: {run.Describe()}");
        return string.Join('\n', run.Stdout);
    }

    /// <summary>
    /// qemu-img check: no corruption, and no leaked clusters unless <paramref name="leaksAllowed"/> (its exit status
    /// 3 is leaks alone, 2 corruption). Returns its JSON report.
    /// </summary>
    public static async Task<JsonElement> CheckAsync(string image, bool leaksAllowed = false)
    {
        var run = await BoundedProcess.RunAsync("qemu-img", ["check", "-f", "qcow2", "--output=json", image], Limit);
        Assert.True(run.ExitCode == 0 || (leaksAllowed && run.ExitCode == 3),
            $"expected qemu-img check to find {image} free of corruption{(leaksAllowed ? " (leaks allowed)" : " and leaks")}; {run.Describe()}");
        return JsonDocument.Parse(string.Join('\n', run.Stdout)).RootElement.Clone();
    }

    /// <summary>qemu-img convert -O raw of the image into <paramref name="raw"/>: the guest's disk as QEMU reads it.</summary>
    public static Task ConvertToRawAsync(string image, string raw) => RunAsync("convert", "-f", "qcow2", "-O", "raw", image, raw);

    /// <summary>The bytes of the guest's disk that the image itself holds data for (qemu-img map: "data" true and not from a backing file).</summary>
    public static async Task<long> AllocatedBytesAsync(string image)
    {
        var map = JsonDocument.Parse(await RunAsync("map", "-f", "qcow2", "--output=json", image)).RootElement;
        return map.EnumerateArray()
            .Where(e => e.GetProperty("data").GetBoolean() && e.GetProperty("depth").GetInt32() == 0)
            .Sum(e => e.GetProperty("length").GetInt64());
    }

    /// <summary>A count from a check report (qemu-img leaves out the ones it has nothing to say of): "allocated-clusters", "leaks", ...</summary>
    public static long Count(JsonElement check, string name) => check.TryGetProperty(name, out var value) ? value.GetInt64() : 0;

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }
}
