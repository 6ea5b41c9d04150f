using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Glue.TestSupport;

/// <summary>
/// The host's side of the test guest's `vsock` test over glue's Unix-socket host side (Firecracker's scheme): a
/// listener at UDS_52 takes the guest's connection to host port 52, and a `CONNECT 1234` on UDS reaches the guest's
/// listener. On each, 1 MiB goes each way at once, the received bytes checked against the guest's pattern. The
/// build tests and the bench share it.
/// </summary>
public sealed class VsockHostPeer : IDisposable
{
    public const int Total = 1 << 20;
    private const uint SeedToHost = 0x686f7374, SeedToGuest = 0x67756573;

    private readonly KvmHost.Listener _listener;
    private readonly string _uds;

    /// <summary>One connection's result: whether the host got the guest's pattern, and how long each way took.</summary>
    public readonly record struct Exchange(bool Ok, TimeSpan ToHost, TimeSpan ToGuest);

    private VsockHostPeer(string uds, KvmHost.Listener listener) => (_uds, _listener) = (uds, listener);

    /// <summary>Listens at <paramref name="uds"/>_52, where the VM runs (<see cref="KvmHost"/>), before the VM starts, so that the guest's connect finds it.</summary>
    public static async Task<VsockHostPeer> ListenAsync(string uds) => new(uds, await KvmHost.ListenAsync(uds + "_52"));

    /// <summary>The guest's `glue.vsock=CID:52:1234` form: the ports this peer uses.</summary>
    public static string GuestKey(int cid) => $"glue.vsock={cid}:52:1234";

    public async Task<Exchange> AcceptGuestAsync(CancellationToken stop)
    {
        using var connection = await _listener.AcceptAsync(stop);
        return await ExchangeAsync(connection, stop);
    }

    /// <summary>Connects to the guest's port 1234, again and again until the guest listens (until then glue answers with a refusal).</summary>
    public async Task<Exchange> ConnectToGuestAsync(CancellationToken stop)
    {
        while (true)
        {
            try
            {
                using var client = await KvmHost.ConnectAsync(_uds, stop);
                await client.SendAsync("CONNECT 1234\n"u8.ToArray(), stop);
                if ((await ReadLineAsync(client, stop)).StartsWith("OK ", StringComparison.Ordinal)) return await ExchangeAsync(client, stop);
            }
            catch (SocketException)
            {
            }
            await Task.Delay(20, stop);
        }
    }

    private static async Task<Exchange> ExchangeAsync(Socket socket, CancellationToken stop)
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
        return new Exchange(got == Total && received.AsSpan().SequenceEqual(Pattern(SeedToHost)), toHost, toGuest);
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

    public void Dispose() => _listener.Dispose();
}
