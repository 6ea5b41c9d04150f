using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The host's side of the guest's `net` test, run inside the namespace by one python3 process: it binds the UDP
/// port first, then pings the guest (ARP and ICMP), then collects the datagrams the guest sends once it has
/// answered the pings, so no datagram can arrive before anyone listens.
/// </summary>
public static partial class NetPeer
{
    public const string GuestIp = "10.0.2.15";
    public const string HostIp = "10.0.2.2";
    public const int Port = 5555;
    public const int Pings = 3;
    public const int Datagrams = 3;

    /// <summary>The guest's key: its address, the peer's, the port; it answers <see cref="Pings"/> pings, then sends <see cref="Datagrams"/> datagrams.</summary>
    public static string GuestKey => $"glue.net=ip:{GuestIp},peer:{HostIp},udp:{Port},pings:{Pings},datagrams:{Datagrams},seconds:30";

    private const string Script = """
        import socket, subprocess, sys
        guest, host, port, pings, datagrams = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, port))
        s.settimeout(20)
        p = subprocess.run(["ping", "-c", pings, "-i", "0.2", "-W", "2", guest], capture_output=True, text=True)
        print(p.stdout, flush=True)
        print("PING-EXIT", p.returncode, flush=True)
        for i in range(datagrams):
            data, source = s.recvfrom(2048)
            print("UDP", source[0], source[1], data.decode("ascii", "replace"), flush=True)
        """;

    /// <summary>
    /// Pings the guest and receives its datagrams; asserts all pings were answered and every datagram came, in order,
    /// from the guest. A failure shows <paramref name="vm"/>'s run too if it has ended: a VMM that died takes its TAP,
    /// and the address on it, along, which the peer sees only as a bind that fails.
    /// </summary>
    public static async Task<(ProcessResult Run, double AverageRttMs)> ExchangeAsync(NetworkNamespace ns, Task<ProcessResult> vm)
    {
        var run = await ns.RunAsync(TimeSpan.FromSeconds(40), "python3", "-c", Script, GuestIp, HostIp, Port.ToString(CultureInfo.InvariantCulture),
            Pings.ToString(CultureInfo.InvariantCulture), Datagrams.ToString(CultureInfo.InvariantCulture));
        string Describe() => $"{run.Describe()}\n--- the VM: {(vm.IsCompleted ? vm.Result.Describe() : "still running")}";
        Assert.True(run.Stdout.Contains("PING-EXIT 0") && run.Stdout.Any(l => l.Contains($"{Pings} packets transmitted, {Pings} received")),
            $"expected {Pings} of {Pings} pings answered; {Describe()}");
        var udp = run.Stdout.Where(l => l.StartsWith("UDP ", StringComparison.Ordinal)).ToList();
        var expected = Enumerable.Range(1, Datagrams).Select(i => $"UDP {GuestIp} {Port} glue-net {i}/{Datagrams}").ToList();
        Assert.True(udp.SequenceEqual(expected), $"expected the datagrams {string.Join(" | ", expected)}; {Describe()}");
        var rtt = run.Stdout.Select(l => Rtt().Match(l)).FirstOrDefault(m => m.Success);
        return (run, rtt is null ? double.NaN : double.Parse(rtt.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"rtt min/avg/max/mdev = [\d.]+/([\d.]+)/")]
    private static partial Regex Rtt();
}
