using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux mounts glue's virtio-fs (`--fs`) with its own virtiofs driver and uses it as a user uses a shared
/// folder (tests/linux/checks/65-fs): create, write, append, truncate, rename over a file, mkdir and rmdir, symlink,
/// hard link, chmod, utimes, 300 small files, a large file by SHA-256; it tries to leave the share through symlinks
/// the host placed pointing out, and to make device nodes; it sees a change the host makes; a second, read-only
/// share refuses a write with EROFS. The host then checks its side: the files the guest made, its view of every
/// name (size, mode, links) equal to the host's, the large file's SHA-256, and the file outside the share untouched.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "fs")]
public class LinuxFsTests(ITestOutputHelper output)
{
    private const int MiB = 100;
    private const string SecretText = "the host's own file, outside the share";

    [FullLinuxBootFact, Trait("Transport", "virtio-pci")]
    public Task Linux_uses_a_shared_folder_on_virtio_pci_and_cannot_leave_it() => BootAndCheckAsync("pci");

    [FullLinuxBootFact, Trait("Transport", "virtio-mmio")]
    public Task Linux_uses_a_shared_folder_on_virtio_mmio_and_cannot_leave_it() => BootAndCheckAsync("mmio");

    private async Task BootAndCheckAsync(string transport)
    {
        using var directory = new TempDirectory();
        string share = Path.Combine(directory.Path, "share"), readOnly = Path.Combine(directory.Path, "ro");
        string secret = Path.Combine(directory.Path, "secret");
        Directory.CreateDirectory(share);
        Directory.CreateDirectory(readOnly);
        File.WriteAllText(secret, SecretText);
        File.WriteAllText(Path.Combine(share, "host.txt"), "from-host\n");
        File.WriteAllText(Path.Combine(readOnly, "ro.txt"), "read-only\n");
        File.CreateSymbolicLink(Path.Combine(share, "escape-abs"), secret);
        File.CreateSymbolicLink(Path.Combine(share, "escape-rel"), "../secret");
        File.CreateSymbolicLink(Path.Combine(share, "escape-dir"), directory.Path);

        var clock = Stopwatch.StartNew();
        var vm = GlueBinary.RunAsync(["run", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"),
            "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"), "-c", "2", "-m", "512", "--virtio-transport", transport,
            "--fs", $"tag=shared,path={share}", "--fs", $"tag=ro,path={readOnly},ro", "-p", $"glue.fs=shared:ro:{MiB}"], TimeSpan.FromMinutes(12));
        // The guest says when it waits for a change from the host, by a file in the share.
        var changed = ChangeHostFileWhenAskedAsync(share, vm);
        var run = await vm;
        output.WriteLine($"glue run of Linux with --fs to its power-off: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(await changed, "the guest never wrote guest-waiting");

        Assert.True(run.ExitCode == 0, $"expected glue to end with 0 on the guest's ACPI power-off; {run.Describe()}");
        var console = run with { Stdout = [.. run.Stdout, .. run.Stderr] };
        var report = LinuxReport.AssertPassed(console, "fs");
        output.WriteLine($"fs {report.Checks["fs"].Detail}");

        Assert.Equal($"{MiB} MiB sha256 {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(share, "big"))))}", report.Checks["fs"].Detail);
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(share, "a.txt")));
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(share, "c.txt")));
        Assert.Equal("../c.txt", new FileInfo(Path.Combine(share, "d", "rel")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(share, "c.txt")));
        Assert.Equal(new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(share, "c.txt")));
        Assert.Equal(150, Directory.GetFiles(Path.Combine(share, "d"), "f*").Length);
        Assert.False(File.Exists(Path.Combine(share, "d", "null")));
        Assert.Equal(await HostViewAsync(share), File.ReadAllLines(Path.Combine(share, "guest-view.txt")));
        Assert.Equal(SecretText, File.ReadAllText(secret));
        Assert.Equal(["ro.txt"], Directory.GetFileSystemEntries(readOnly).Select(Path.GetFileName));
    }

    /// <summary>Waits for the guest's guest-waiting, then rewrites host.txt; false if the guest ended first.</summary>
    private static async Task<bool> ChangeHostFileWhenAskedAsync(string share, Task vm)
    {
        while (!File.Exists(Path.Combine(share, "guest-waiting")))
        {
            if (vm.IsCompleted) return false;
            await Task.Delay(200);
        }
        File.WriteAllText(Path.Combine(share, "host.txt"), "changed-by-host\n");
        return true;
    }

    /// <summary>The host's view in the guest's format (tests/linux/checks/65-fs): `stat -c '%n %s %a %h'` of every name, sorted.</summary>
    private static async Task<string[]> HostViewAsync(string share)
    {
        var start = new ProcessStartInfo("sh", ["-c", "find . ! -name guest-view.txt ! -name guest-waiting ! -name host.txt ! -name . | LC_ALL=C sort | while read -r name; do stat -c '%n %s %a %h' \"$name\"; done"])
        {
            WorkingDirectory = share,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        string text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
