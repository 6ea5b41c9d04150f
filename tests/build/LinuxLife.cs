using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// One glue of the Linux test guest's glue.life check (tests/linux/checks/93-snapshot-life), booted or restored, in a
/// network namespace of its own: a persistent TAP there (so the restored glue finds it as the original left it, with
/// the peer's address and MAC the guest knows), and in the KVM host a python3 echo server at the vsock socket's host
/// port that answers every connection's line and prints it.
/// </summary>
public sealed class LinuxLife : IDisposable
{
    public const string GuestAddress = "10.0.2.15/24";
    public const string PeerIp = "10.0.2.2";
    public const string PeerMac = "02:00:00:00:00:02";
    public const string Tap = "gtap0";
    public const int VsockPort = 53;

    private const string EchoServer = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sys.argv[1])
        s.listen(8)
        print("LISTENING", flush=True)
        while True:
            c, _ = s.accept()
            c.settimeout(10)
            data = b""
            try:
                while not data.endswith(b"\n"):
                    chunk = c.recv(64)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(data)
                print("ECHO", data.decode("ascii", "replace").strip(), flush=True)
            except OSError as e:
                print("ERROR", e, flush=True)
            c.close()
        """;

    private readonly NetworkNamespace _ns;
    private readonly WatchedProcess _echo;

    private LinuxLife(string name, string disk, NetworkNamespace ns, WatchedProcess echo, WatchedProcess vm) =>
        (Name, Disk, _ns, _echo, Vm) = (name, disk, ns, echo, vm);

    public string Name { get; }
    public string Disk { get; }
    public WatchedProcess Vm { get; }

    /// <summary>The guest's kernel command line key for <paramref name="rounds"/> rounds.</summary>
    private static string Key(int rounds) => $"glue.life={rounds}:{GuestAddress}:{PeerIp}:{VsockPort}";

    /// <summary>
    /// Starts glue named <paramref name="name"/> with <paramref name="disk"/>: a boot of the Linux test guest for
    /// <paramref name="rounds"/> rounds, or (with <paramref name="restoreFrom"/>) a restore of that snapshot, then
    /// held until `glue resume` when <paramref name="paused"/>.
    /// </summary>
    public static async Task<LinuxLife> StartAsync(TempDirectory directory, string name, string disk, string transport, bool gpu,
        int rounds, string? restoreFrom = null, bool paused = false)
    {
        var ns = await NetworkNamespace.CreateAsync(inKvmHost: true);
        WatchedProcess? echo = null;
        try
        {
            var tap = await ns.RunAsync(TimeSpan.FromSeconds(10), "ip", "tuntap", "add", "dev", Tap, "mode", "tap");
            Assert.True(tap.ExitCode == 0, $"ip tuntap add in {ns.Name}: {tap.Describe()}");
            var mac = await ns.RunAsync(TimeSpan.FromSeconds(10), "ip", "link", "set", Tap, "address", PeerMac);
            Assert.True(mac.ExitCode == 0, $"ip link set {Tap} address: {mac.Describe()}");
            await ns.ConfigureAsync(Tap, $"{PeerIp}/24");

            string uds = Path.Combine(directory.Path, $"{name}.vsock");
            echo = WatchedProcess.Start(KvmHost.StartInfo("python3", ["-c", EchoServer, $"{uds}_{VsockPort}"]));
            await echo.WaitForLineAsync("LISTENING", TimeSpan.FromSeconds(30));

            string[] devices = ["--virtio-transport", transport, "-d", disk, "--net", $"tap={Tap}",
                "--vsock", $"cid={Random.Shared.Next(100_000, 900_000)},uds={uds}", .. gpu ? ["--gpu"] : Array.Empty<string>()];
            string[] run = restoreFrom is null
                ? ["run", "-n", name, "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
                   "-c", "2", "-m", "512", .. devices, "-p", Key(rounds)]
                : ["run", "--restore", restoreFrom, "-n", name, .. paused ? ["--paused"] : Array.Empty<string>(), .. devices];
            var start = ns.StartInfo([TestEnvironment.Binary, .. run]);
            start.Environment["XDG_RUNTIME_DIR"] = directory.Path;
            return new LinuxLife(name, disk, ns, echo, WatchedProcess.Start(start));
        }
        catch
        {
            echo?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>The lines the echo server answered ("life N"), in order.</summary>
    public IReadOnlyList<string> Echoed() =>
        _echo.Read(lines => lines.Where(line => line.StartsWith("ECHO ", StringComparison.Ordinal)).Select(line => line[5..]).ToList());

    public void Dispose()
    {
        Vm.Dispose();
        _echo.Dispose();
        _ns.Dispose();
    }
}
