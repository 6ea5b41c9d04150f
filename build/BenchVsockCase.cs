using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Glue.Build;

/// <summary>
/// virtio-vsock (the test guest's `vsock` test, glue's Firecracker-style host side): 1 MiB each way, both at once,
/// on the guest's connection to host port 52 and on the host's CONNECT to the guest's port 1234; MB/s each way as
/// the host saw it. QEMU's peer, vhost-vsock-device, needs the host's /dev/vhost-vsock.
/// </summary>
public sealed class BenchVsockCase(BenchSettings settings) : BenchCase
{
    private const int Total = 1 << 20;
    private const uint SeedToHost = 0x686f7374, SeedToGuest = 0x67756573;
    private const string GuestConnectToHost = "guest connect, to host", GuestConnectToGuest = "guest connect, to guest";
    private const string HostConnectToHost = "host connect, to host", HostConnectToGuest = "host connect, to guest";

    public override string Name => "virtio-vsock";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(GuestConnectToHost, "MB/s", true, Qemu),
        new(GuestConnectToGuest, "MB/s", true, Qemu),
        new(HostConnectToHost, "MB/s", true, Qemu),
        new(HostConnectToGuest, "MB/s", true, Qemu),
    ];

    public override string? Missing(string contestant) =>
        contestant != Qemu ? null
        : !File.Exists("/dev/vhost-vsock") ? "vhost-vsock-device needs /dev/vhost-vsock (module vhost_vsock), absent here"
        : "no QEMU run in the bench yet (the host side would be AF_VSOCK sockets)";

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var directory = Directory.CreateTempSubdirectory("glue-bench-vsock-");
        try
        {
            string uds = Path.Combine(directory.FullName, "v.sock");
            using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            server.Bind(new UnixDomainSocketEndPoint(uds + "_52"));
            server.Listen(1);
            int cid = 1000 + Random.Shared.Next(1_000_000); // one CID per host: one of the bench's own
            using var vm = BenchProcess.Start(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, "--vsock", $"cid={cid},uds={uds}",
                "-p", $"glue.cpus=1 glue.vsock={cid}:52:1234"]);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var guestConnect = Task.Run(async () =>
            {
                using var connection = await server.AcceptAsync(stop.Token);
                return await ExchangeAsync(connection, stop.Token);
            });
            var hostConnect = Task.Run(async () =>
            {
                while (true)
                {
                    using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await client.ConnectAsync(new UnixDomainSocketEndPoint(uds), stop.Token);
                        await client.SendAsync("CONNECT 1234\n"u8.ToArray(), stop.Token);
                        if ((await ReadLineAsync(client, stop.Token)).StartsWith("OK ", StringComparison.Ordinal))
                            return await ExchangeAsync(client, stop.Token);
                    }
                    catch (SocketException)
                    {
                    }
                    await Task.Delay(20, stop.Token); // the guest is not listening yet
                }
            });
            var sample = vm.Finish(TimeSpan.FromSeconds(120));
            stop.CancelAfter(TimeSpan.FromSeconds(5)); // the VM is gone: its connections end now
            try
            {
                Task.WaitAll(guestConnect, hostConnect);
            }
            catch (AggregateException error)
            {
                throw new BuildFailure($"vsock: {error.InnerException?.Message}; {ProcessSample.Tail(sample.Output)}");
            }
            BenchStartupCase.ExpectAllPassed(sample);
            var (guestToHost, guestToGuest) = guestConnect.Result;
            var (hostToHost, hostToGuest) = hostConnect.Result;
            return new Dictionary<string, double>
            {
                [GuestConnectToHost] = guestToHost,
                [GuestConnectToGuest] = guestToGuest,
                [HostConnectToHost] = hostToHost,
                [HostConnectToGuest] = hostToGuest,
            };
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Sends 1 MiB of the to-guest pattern while receiving and checking 1 MiB of the to-host one; MB/s each way.</summary>
    private static async Task<(double ToHost, double ToGuest)> ExchangeAsync(Socket socket, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var writer = Task.Run(async () =>
        {
            await socket.SendAsync(Pattern(SeedToGuest), stop);
            return clock.Elapsed;
        }, stop);
        var received = new byte[Total];
        int got = 0, n;
        while (got < Total && (n = await socket.ReceiveAsync(received.AsMemory(got), stop)) > 0) got += n;
        var toHost = clock.Elapsed;
        var toGuest = await writer;
        if (got != Total || !received.AsSpan().SequenceEqual(Pattern(SeedToHost))) throw new BuildFailure("vsock: the host got other bytes than the guest's pattern");
        return (Total / toHost.TotalSeconds / 1e6, Total / toGuest.TotalSeconds / 1e6);
    }

    /// <summary>The test guest's pattern: little-endian words, word j = seed + j * 0x9e3779b1.</summary>
    private static byte[] Pattern(uint seed)
    {
        var bytes = new byte[Total];
        for (int j = 0; j < Total / 4; j++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 * j), unchecked(seed + (uint)j * 0x9e3779b1));
        return bytes;
    }

    private static async Task<string> ReadLineAsync(Socket socket, CancellationToken stop)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await socket.ReceiveAsync(one, stop) == 1 && one[0] != '\n') line.Append((char)one[0]);
        return line.ToString();
    }
}
