using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>A test that puts a VM on a TAP in a network namespace of its own: needs root, /dev/net/tun, ip, ping and python3.</summary>
public static class NetEnvironment
{
    public static string? Missing =>
        Environment.UserName != "root" ? "network namespaces need root"
        : !File.Exists("/dev/net/tun") ? "/dev/net/tun is missing"
        : new[] { "ip", "ping", "python3" }.FirstOrDefault(p => !OnPath(p)) is { } absent ? $"{absent} is not installed"
        : null;

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, program)));
}

/// <summary>Boots the test guest in glue on a TAP in a private network namespace.</summary>
public sealed class KvmNetFactAttribute : FactAttribute
{
    public KvmNetFactAttribute() => Skip = TestEnvironment.MissingForBoot ?? NetEnvironment.Missing;
}

/// <summary>Boots the test guest in glue (or fails before booting) with --net values in a private network namespace.</summary>
public sealed class KvmNetTheoryAttribute : TheoryAttribute
{
    public KvmNetTheoryAttribute() => Skip = TestEnvironment.MissingForBoot ?? NetEnvironment.Missing;
}

/// <summary>Boots the test guest in QEMU on a TAP in a private network namespace.</summary>
public sealed class QemuNetFactAttribute : FactAttribute
{
    public QemuNetFactAttribute() => Skip = TestEnvironment.MissingForQemu ?? NetEnvironment.Missing;
}

/// <summary>
/// A network namespace of one test's own (`ip netns add glue-test-&lt;random&gt;`), so its TAP, addresses and
/// traffic never meet the host's or another test's. Deleted on Dispose, which also removes any TAP left in it.
/// It is made where its VM runs: in the KVM host for a VM that needs KVM (<see cref="KvmHost"/>), else here.
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private readonly bool _inKvmHost;

    private NetworkNamespace(string name, bool inKvmHost) => (Name, _inKvmHost) = (name, inKvmHost);

    public string Name { get; }

    /// <param name="inKvmHost">True for a VM of glue run or of QEMU with -enable-kvm; false for QEMU under TCG and glue device.</param>
    public static async Task<NetworkNamespace> CreateAsync(bool inKvmHost)
    {
        var ns = new NetworkNamespace($"glue-test-{Guid.NewGuid().ToString("N")[..12]}", inKvmHost);
        var add = await BoundedProcess.RunAsync(ns.Ip(["netns", "add", ns.Name]), TimeSpan.FromSeconds(10), null, BoundedProcess.StopBy.Kill);
        Assert.True(add.ExitCode == 0, $"ip netns add {ns.Name}: {add.Describe()}");
        return ns;
    }

    /// <summary>A start of <paramref name="command"/> inside the namespace.</summary>
    public ProcessStartInfo StartInfo(params string[] command) => Ip(["netns", "exec", Name, .. command]);

    public Task<ProcessResult> RunAsync(TimeSpan limit, params string[] command) =>
        BoundedProcess.RunAsync(StartInfo(command), limit, null, BoundedProcess.StopBy.Kill);

    private ProcessStartInfo Ip(string[] arguments) => _inKvmHost ? KvmHost.StartInfo("ip", arguments) : KvmHost.StartHere("ip", arguments);

    /// <summary>The names of the namespace's network interfaces.</summary>
    public async Task<IReadOnlyList<string>> LinksAsync()
    {
        var links = await RunAsync(TimeSpan.FromSeconds(10), "ip", "-o", "link", "show");
        return links.Stdout.Select(line => LinkName().Match(line)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>Waits for <paramref name="link"/> to appear; fails early if <paramref name="owner"/> (the VM's run) ends first.</summary>
    public async Task WaitForLinkAsync(string link, Task<ProcessResult> owner, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!(await LinksAsync()).Contains(link))
        {
            if (owner.IsCompleted) Assert.Fail($"the VM ended before {link} appeared; {(await owner).Describe()}");
            Assert.True(clock.Elapsed < limit, $"{link} did not appear in {Name} within {limit}");
            await Task.Delay(20);
        }
    }

    /// <summary>Brings up lo and <paramref name="link"/>, with <paramref name="address"/> (CIDR) on it: the host's side of the guest's Ethernet.</summary>
    public async Task ConfigureAsync(string link, string address)
    {
        foreach (var command in new[] { new[] { "ip", "link", "set", "lo", "up" }, ["ip", "link", "set", link, "up"], ["ip", "addr", "add", address, "dev", link] })
        {
            var run = await RunAsync(TimeSpan.FromSeconds(10), command);
            Assert.True(run.ExitCode == 0, $"{string.Join(' ', command)} in {Name}: {run.Describe()}");
        }
    }

    public void Dispose()
    {
        using var delete = Process.Start(Ip(["netns", "del", Name]))!;
        delete.StandardInput.Close();
        delete.WaitForExit(10_000);
    }

    [GeneratedRegex(@"^\d+: ([^:@]+)[:@]")]
    private static partial Regex LinkName();
}
