using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `--vsock cid=N,uds=PATH` with the test guest's vsock test: the guest connects to host port 52 (this test
/// listens on PATH_52) and a host client of PATH sends `CONNECT 1234`; each connection carries 1 MiB each way,
/// checked on both sides. Bad values are one-line usage errors that leave no socket file.
/// </summary>
[Trait("Device", "vsock"), Trait("Device", "serial"), Trait("Transport", "virtio-mmio")]
public class VsockTests(ITestOutputHelper output)
{
    private const int Total = 1 << 20;
    private const uint SeedToHost = 0x686f7374, SeedToGuest = 0x67756573;

    [KvmFact]
    public async Task OneMiBEachWayOnAGuestConnectAndAHostConnect()
    {
        using var directory = new TempDirectory();
        string uds = Path.Combine(directory.Path, "v.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(uds + "_52"));
        server.Listen(1);

        // CIDs are unique per host: a random one, so that other runs on this host do not collide with it.
        int cid = Random.Shared.Next(100_000, 900_000);
        var glue = GlueBinary.BootAsync($"glue.vsock={cid}:52:1234", "--vsock", $"cid={cid},uds={uds}", "--virtio-transport", "mmio");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
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
                    string line = await ReadLineAsync(client, stop.Token);
                    if (line.StartsWith("OK ", StringComparison.Ordinal)) return await ExchangeAsync(client, stop.Token);
                }
                catch (SocketException)
                {
                }
                await Task.Delay(50, stop.Token); // the guest is not listening yet: it answered RST
            }
        });

        var run = await glue;
        GuestAssert.AllPassed(run, 0, "vsock");
        var (toHostOk, toHostMs, toGuestMs) = await guestConnect;
        var (acceptToHostOk, acceptToHostMs, acceptToGuestMs) = await hostConnect;
        Assert.True(toHostOk && acceptToHostOk, $"the host got other bytes than the pattern; {run.Describe()}");
        output.WriteLine($"guest connect: to host {Total / 1024.0 / toHostMs:F1} MiB/s, to guest {Total / 1024.0 / toGuestMs:F1} MiB/s (both at once)");
        output.WriteLine($"host connect: to host {Total / 1024.0 / acceptToHostMs:F1} MiB/s, to guest {Total / 1024.0 / acceptToGuestMs:F1} MiB/s (both at once)");
        output.WriteLine(run.Stdout.FirstOrDefault(l => l.StartsWith("GLUE-TEST vsock")));
        Assert.False(File.Exists(uds), "the listening socket outlived the VM");
    }

    [KvmFact]
    public async Task ACidBelow3IsAUsageError()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=2,uds={directory.Path}/v.sock");
    }

    [KvmFact]
    public async Task AUdsInAMissingDirectoryIsAUsageError()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=5,uds={directory.Path}/missing/v.sock");
    }

    [KvmFact]
    public async Task TheSameCidTwiceIsAUsageError()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=5,uds={directory.Path}/a.sock", "--vsock", $"cid=5,uds={directory.Path}/b.sock");
    }

    [KvmFact]
    public async Task ACidAnotherRunningVmHoldsIsAUsageError()
    {
        using var directory = new TempDirectory();
        int cid = Random.Shared.Next(100_000, 900_000);
        using var first = await RunningVm.StartAsync(directory.Path, "holder", "--vsock", $"cid={cid},uds={directory.Path}/first.sock");
        Assert.True(File.Exists($"{directory.Path}/first.sock"));
        await AssertUsageErrorAsync(directory, "--vsock", $"cid={cid},uds={directory.Path}/v.sock");
        Assert.True(File.Exists($"{directory.Path}/first.sock"), "the running VM's socket was touched");
    }

    /// <summary>Exit status 2, one `glue: ` line, and no socket file left in the directory.</summary>
    private static async Task AssertUsageErrorAsync(TempDirectory directory, params string[] options)
    {
        var before = Directory.GetFiles(directory.Path, "*.sock");
        var run = await GlueInvocation.RunAsync(directory.Path, ["run", "-k", TestEnvironment.Guest, .. options]);
        Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal), run.Describe());
        GuestAssert.NoStackTrace(run);
        Assert.Equal(before, Directory.GetFiles(directory.Path, "*.sock"));
    }

    /// <summary>Writes 1 MiB of the to-guest pattern while reading 1 MiB and checking it is the to-host pattern; the times in ms.</summary>
    private static async Task<(bool Ok, double ToHostMs, double ToGuestMs)> ExchangeAsync(Socket socket, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        double toGuestMs = 0;
        var writer = Task.Run(async () =>
        {
            await socket.SendAsync(Pattern(SeedToGuest), stop);
            toGuestMs = clock.Elapsed.TotalMilliseconds;
        }, stop);
        var received = new byte[Total];
        int got = 0;
        while (got < Total)
        {
            int n = await socket.ReceiveAsync(received.AsMemory(got), stop);
            if (n == 0) break;
            got += n;
        }
        double toHostMs = clock.Elapsed.TotalMilliseconds;
        await writer;
        return (got == Total && received.AsSpan().SequenceEqual(Pattern(SeedToHost)), toHostMs, toGuestMs);
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
