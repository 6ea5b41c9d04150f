using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The host's side of the Linux guest's fs check (tests/linux/checks/65-fs): a share holding host.txt and three
/// symlinks pointing out of it (absolute, relative, to the directory above), a read-only share, and a secret file
/// beside them; while the guest runs, host.txt is changed when the guest asks; afterwards, what the guest made is
/// checked on the host, its view of every name against the host's, and the secret is unchanged.
/// </summary>
public sealed class FsShareScenario : IDisposable
{
    private const string SecretText = "the host's own file, outside the share";
    private readonly TempDirectory _directory = new();

    public FsShareScenario(int mib)
    {
        MiB = mib;
        Directory.CreateDirectory(Share);
        Directory.CreateDirectory(ReadOnly);
        File.WriteAllText(Secret, SecretText);
        File.WriteAllText(Path.Combine(Share, "host.txt"), "from-host\n");
        File.WriteAllText(Path.Combine(ReadOnly, "ro.txt"), "read-only\n");
        File.CreateSymbolicLink(Path.Combine(Share, "escape-abs"), Secret);
        File.CreateSymbolicLink(Path.Combine(Share, "escape-rel"), "../secret");
        File.CreateSymbolicLink(Path.Combine(Share, "escape-dir"), _directory.Path);
    }

    public int MiB { get; }

    public string Share => Path.Combine(_directory.Path, "share");

    public string ReadOnly => Path.Combine(_directory.Path, "ro");

    public string Secret => Path.Combine(_directory.Path, "secret");

    public string Directory_ => _directory.Path;

    /// <summary>The kernel command line key: the shares' tags are `shared` and `ro`.</summary>
    public string Key => $"glue.fs=shared:ro:{MiB}";

    public void Dispose() => _directory.Dispose();

    /// <summary>Waits for the guest's guest-waiting, then rewrites host.txt; false if the VM ended first.</summary>
    public async Task<bool> ChangeHostFileWhenAskedAsync(Task vm)
    {
        while (!File.Exists(Path.Combine(Share, "guest-waiting")))
        {
            if (vm.IsCompleted) return false;
            await Task.Delay(200);
        }
        File.WriteAllText(Path.Combine(Share, "host.txt"), "changed-by-host\n");
        return true;
    }

    /// <summary>What the host finds after the guest's check passed with <paramref name="detail"/>.</summary>
    public async Task AssertTheHostSeesWhatTheGuestDidAsync(string detail)
    {
        Assert.Equal($"{MiB} MiB sha256 {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Share, "big"))))}", detail);
        Assert.Equal("one\n", File.ReadAllText(Path.Combine(Share, "a.txt")));
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(Share, "c.txt")));
        Assert.Equal("../c.txt", new FileInfo(Path.Combine(Share, "d", "rel")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(Share, "c.txt")));
        Assert.Equal(new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(Share, "c.txt")));
        Assert.Equal(150, Directory.GetFiles(Path.Combine(Share, "d"), "f*").Length);
        Assert.False(File.Exists(Path.Combine(Share, "d", "null")));
        Assert.Equal(await HostViewAsync(), File.ReadAllLines(Path.Combine(Share, "guest-view.txt")));
        Assert.Equal(SecretText, File.ReadAllText(Secret));
        Assert.Equal(["ro.txt"], Directory.GetFileSystemEntries(ReadOnly).Select(Path.GetFileName));
    }

    /// <summary>The host's view in the guest's format: `stat -c '%n %s %a %h'` of every name, sorted.</summary>
    private async Task<string[]> HostViewAsync()
    {
        var start = new ProcessStartInfo("sh", ["-c", "find . ! -name guest-view.txt ! -name guest-waiting ! -name host.txt ! -name . | LC_ALL=C sort | while read -r name; do stat -c '%n %s %a %h' \"$name\"; done"])
        {
            WorkingDirectory = Share,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        string text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
