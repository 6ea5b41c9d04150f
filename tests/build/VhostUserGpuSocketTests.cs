using System.Buffers.Binary;
using System.Net.Sockets;
using Xunit;
using static Glue.BuildTests.VhostUserFrontend;

namespace Glue.BuildTests;

/// <summary>
/// VHOST_USER_GPU_SET_SOCKET (33) on a published `glue device gpu`: without an fd, or with an fd that is no socket,
/// it is refused and the session goes on; with a socket, the display's mode and picture come on it as SCANOUT and
/// UPDATE; a second socket replaces the first, whose peer sees the end. The device keeps serving and exits 0.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "gpu")]
public class VhostUserGpuSocketTests
{
    private const uint SetSocket = 33;
    private const uint Scanout = 7, Update = 8;   // VHOST_USER_GPU_SCANOUT, VHOST_USER_GPU_UPDATE (vhost-user-gpu.rst)

    [VhostUserFact]
    public async Task Set_socket_is_refused_without_a_socket_and_a_second_one_replaces_the_first()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "gpu.sock");
        using var device = await GlueDevice.StartAsync(socket, ["gpu", "--socket", socket, "--gpu", "width=320,height=200"]);

        using (var frontend = new VhostUserFrontend(socket))
        using (var notASocket = MemFd(4096))
        {
            frontend.Send(SetProtocolFeatures, U64(ReplyAck));
            Assert.Equal(1UL, frontend.Ack(SetSocket, []));
            Assert.Equal(1UL, frontend.Ack(SetSocket, [], (int)notASocket.DangerousGetHandle()));

            var (first, firstPeer) = Pair(directory, "a");
            Assert.Equal(0UL, frontend.Ack(SetSocket, [], (int)first.Handle));
            first.Dispose();   // the backend holds its own copy
            ExpectScreen(firstPeer, 320, 200);

            var (second, secondPeer) = Pair(directory, "b");
            Assert.Equal(0UL, frontend.Ack(SetSocket, [], (int)second.Handle));
            second.Dispose();
            ExpectScreen(secondPeer, 320, 200);
            firstPeer.ReceiveTimeout = 5000;
            Assert.Equal(0, firstPeer.Receive(new byte[1]));   // the replaced socket was closed
            Assert.NotEqual(0UL, BitConverter.ToUInt64(Ask(frontend)));   // still served
        }

        var run = await device.StopAsync();
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal(2, run.Stderr.Count(line => line.Contains("refused")));
        GuestAssert.NoStackTrace(run);
    }

    private static byte[] Ask(VhostUserFrontend frontend)
    {
        frontend.Send(GetFeatures, []);
        return frontend.ReadReply() ?? throw new IOException("no reply");
    }

    /// <summary>SCANOUT with the mode, then UPDATE of the whole screen with its pixels.</summary>
    private static void ExpectScreen(Socket peer, int width, int height)
    {
        peer.ReceiveTimeout = 5000;
        var (request, payload) = Read(peer);
        Assert.Equal(Scanout, request);
        Assert.Equal((0u, (uint)width, (uint)height), (Field(payload, 0), Field(payload, 1), Field(payload, 2)));
        (request, payload) = Read(peer);
        Assert.Equal(Update, request);
        Assert.Equal((0u, 0u, 0u, (uint)width, (uint)height), (Field(payload, 0), Field(payload, 1), Field(payload, 2), Field(payload, 3), Field(payload, 4)));
        Assert.Equal(20 + width * height * 4, payload.Length);
    }

    private static uint Field(byte[] payload, int index) => BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(index * 4));

    private static (uint Request, byte[] Payload) Read(Socket peer)
    {
        var header = ReadExactly(peer, 12);
        return (BinaryPrimitives.ReadUInt32LittleEndian(header), ReadExactly(peer, (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8))));
    }

    private static byte[] ReadExactly(Socket peer, int count)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = peer.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0) throw new IOException($"the socket ended after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    /// <summary>Two connected Unix stream sockets (what QEMU's socketpair gives): the end to hand over and its peer.</summary>
    private static (Socket End, Socket Peer) Pair(TempDirectory directory, string name)
    {
        var path = new UnixDomainSocketEndPoint(Path.Combine(directory.Path, $"pair-{name}.sock"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(path);
        listener.Listen(1);
        var end = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        end.Connect(path);
        return (end, listener.Accept());
    }
}
