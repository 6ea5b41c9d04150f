using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// virtio-net, guest to host (tests/guest/mode_netbench.c): the VMM on a TAP in a network namespace of the bench's
/// own; the host side (python3 in the namespace) binds the UDP port, sends the guest its go, and counts what
/// arrives. Frames/s (60-byte frames) and MB/s (1514-byte frames) are the guest's: from its first frame to the
/// device's last used buffer, at KVM's TSC rate; the share the host's socket received is reported beside them.
/// </summary>
public sealed partial class BenchNetCase(BenchSettings settings) : BenchCase
{
    private const string Tap = "btap0";
    private const string HostAddress = "10.0.2.2/24";
    private const int Port = 5556;
    private const string SmallRate = "60-byte frames/s", LargeRate = "1514-byte frames, MB/s";
    private const string SmallDelivered = "60-byte frames received by the host", LargeDelivered = "1514-byte frames received by the host";

    private const string Receiver = """
        import socket, sys, time
        port, small, large = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: room for a burst
        s.bind(("0.0.0.0", port))
        go = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        go.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        got = {"s": 0, "l": 0}
        s.settimeout(0.2)
        deadline = time.time() + 60
        while got["s"] == 0 and got["l"] == 0 and time.time() < deadline:
            go.sendto(b"go", ("10.0.2.255", port + 1))
            try:
                data = s.recv(2048)
                if data[:4] == b"GLUE": got[chr(data[4])] += 1
            except socket.timeout:
                pass
        s.settimeout(2)
        try:
            while got["s"] + got["l"] < small + large:
                data = s.recv(2048)
                if data[:4] == b"GLUE": got[chr(data[4])] += 1
        except socket.timeout:
            pass
        print("RECEIVED", got["s"], got["l"], flush=True)
        """;

    private readonly Lazy<double> _tscHz = new(BenchTsc.Hz);   // asked of KVM when a run needs it, so a case can be named without /dev/kvm here

    // Every frame is a notification exit and a wake-up of the device's thread: tens of thousands take seconds here.
    private int Small => settings.Scale(20000, 5000);
    private int Large => settings.Scale(10000, 2000);

    public override string Name => "virtio-net (mmio, tap)";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(SmallRate, "frames/s", true, Qemu, 1.0),
        new(LargeRate, "MB/s", true, Qemu),
        new(SmallDelivered, "%", true, Qemu),
        new(LargeDelivered, "%", true, Qemu),
    ];

    public override string? Missing(string contestant) =>
        Environment.UserName != "root" ? "network namespaces need root"
        : !File.Exists("/dev/net/tun") ? "/dev/net/tun is missing"
        : BenchQemu.Find("python3") is null ? "python3 is not installed"
        : contestant == Qemu ? BenchQemu.Missing : null;

    public override int Rounds(int rounds) => Math.Min(rounds, 5);

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        string ns = $"glue-bench-{Guid.NewGuid().ToString("N")[..12]}";
        Ip("netns", "add", ns);
        try
        {
            string commandLine = $"glue.mode=netbench glue.netbench={Small}:{Large}:{Port}";
            string[] vmm = contestant == Glue
                ? [settings.Glue, "run", "-m", "512", "-k", settings.Guest, "--net", $"tap={Tap}", "-p", commandLine]
                : [BenchQemu.Program, .. BenchQemu.Guest(settings.Guest, commandLine, [.. BenchQemu.VirtioMmio,
                    "-netdev", $"tap,id=n0,ifname={Tap},script=no,downscript=no,vhost=off", "-device", "virtio-net-device,netdev=n0"])];
            using var vm = BenchProcess.Start("ip", ["netns", "exec", ns, .. vmm]);
            var clock = Stopwatch.StartNew();
            while (!Ip("netns", "exec", ns, "ip", "-o", "link", "show").Contains($": {Tap}:", StringComparison.Ordinal))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new BenchFailure($"{Tap} did not appear: {ProcessSample.Tail(vm.OutputSoFar)}");
                Thread.Sleep(20);
            }
            Ip("netns", "exec", ns, "ip", "link", "set", Tap, "up");
            Ip("netns", "exec", ns, "ip", "addr", "add", HostAddress, "dev", Tap);
            var host = BenchProcess.Run("ip", ["netns", "exec", ns, "python3", "-c", Receiver,
                Port.ToString(CultureInfo.InvariantCulture), Small.ToString(CultureInfo.InvariantCulture), Large.ToString(CultureInfo.InvariantCulture)],
                TimeSpan.FromMinutes(3));
            var sample = vm.Finish(TimeSpan.FromMinutes(3));
            var line = sample.Line("GLUE-BENCH net");
            var guest = Result().Match(line);
            var received = Received().Match(host.Line("RECEIVED"));
            if (!guest.Success || !received.Success) throw new BenchFailure($"{line} / {host.Output.Trim()}");
            double Value(Match m, string group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
            return new Dictionary<string, double>
            {
                [SmallRate] = Small / (Value(guest, "smallTicks") / _tscHz.Value),
                [LargeRate] = Large * 1514.0 / (Value(guest, "largeTicks") / _tscHz.Value) / 1e6,
                [SmallDelivered] = 100.0 * Value(received, "small") / Small,
                [LargeDelivered] = 100.0 * Value(received, "large") / Large,
            };
        }
        finally
        {
            Ip("netns", "del", ns);
        }
    }

    private static string Ip(params string[] arguments)
    {
        var run = BenchProcess.Run("ip", arguments, TimeSpan.FromSeconds(20));
        if (run.ExitCode != 0) throw new BenchFailure($"ip {string.Join(' ', arguments)}: {run.Errors.Trim()}");
        return run.Output;
    }

    [GeneratedRegex(@"^GLUE-BENCH net small \d+ (?<smallTicks>\d+) large \d+ (?<largeTicks>\d+);")]
    private static partial Regex Result();

    [GeneratedRegex(@"^RECEIVED (?<small>\d+) (?<large>\d+)")]
    private static partial Regex Received();
}
