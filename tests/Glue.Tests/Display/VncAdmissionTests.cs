using System.Diagnostics;
using System.Net.Sockets;
using Glue.Display.Vnc;
using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>
/// Who gets in, and when: connections in the RFB opening hold no slot and have a deadline for the whole opening;
/// slots (connections=N) are taken after authentication; an authenticated client keeps its slot while idle.
/// </summary>
public class VncAdmissionTests
{
    [Fact]
    public void Sixteen_slow_clients_do_not_keep_out_a_client_with_the_password()
    {
        using var server = new VncTestServer(password: "s3cret");
        var slow = Enumerable.Range(0, 16).Select(_ => new TricklingClient(server, TimeSpan.FromSeconds(3))).ToList();
        try
        {
            WaitUntil(() => slow.All(c => c.BytesSent > 0), "the slow clients to start");

            var watch = Stopwatch.StartNew();
            using var good = server.Connect(password: "s3cret");
            good.RequestUpdate(incremental: false);
            good.ReadUpdate();
            watch.Stop();

            TestImages.AssertPixels(server.Expected, good.Width, good.Frame, 0, "the good client's frame");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the good client's first frame took {watch.Elapsed}");
            Assert.Equal(1, server.Server.ClientCount);
            Assert.True(server.Server.OpeningCount <= VncServer.MaxHandshakes, $"{server.Server.OpeningCount} connections in the opening");
        }
        finally
        {
            foreach (var client in slow) client.Dispose();
        }
    }

    [Fact]
    public void The_opening_has_one_deadline_however_often_the_client_sends()
    {
        var timeouts = VncTimeouts.Default with { Handshake = TimeSpan.FromSeconds(1) };
        using var server = new VncTestServer(timeouts: timeouts);
        using var slow = new TricklingClient(server, TimeSpan.FromMilliseconds(200));

        var watch = Stopwatch.StartNew();
        WaitUntil(() => slow.Closed, "the server to close the trickling client", TimeSpan.FromSeconds(5));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"closed after {watch.Elapsed}");
        Assert.True(slow.BytesSent >= 3, $"the client sent {slow.BytesSent} bytes: each read had its own time, the opening's deadline held");
        Assert.Equal(0, server.Server.OpeningCount);
    }

    [Fact]
    public void A_client_past_connections_is_refused_after_authentication_and_an_idle_one_keeps_its_slot()
    {
        using var server = new VncTestServer(password: "s3cret", connections: 2);
        using var first = server.Connect(password: "s3cret");
        using var second = server.Connect(password: "s3cret");

        using (var third = RfbTestClient.Connect(server.EndPoint))
        {
            Assert.Equal("too many connections", third.Handshake("003.008", password: "s3cret"));
            Assert.True(third.IsClosedByServer());
        }
        Thread.Sleep(TimeSpan.FromSeconds(2)); // idle, past no deadline: an authenticated client's slot is its own
        first.RequestUpdate(incremental: false);
        first.ReadUpdate();
        TestImages.AssertPixels(server.Expected, first.Width, first.Frame, 0, "the idle client's frame");

        second.Dispose();
        WaitUntil(() => server.Server.ClientCount == 1, "the server to free the second slot");
        using var fourth = server.Connect(password: "s3cret");
        Assert.Equal(2, server.Server.ClientCount);
    }

    [Fact]
    public void Without_a_password_the_slot_is_taken_at_the_openings_end()
    {
        using var server = new VncTestServer(connections: 1);
        using var first = server.Connect();
        using var refused = RfbTestClient.Connect(server.EndPoint);
        Assert.Equal("too many connections", refused.Handshake("003.008"));
        using var refused33 = RfbTestClient.Connect(server.EndPoint);
        Assert.ThrowsAny<IOException>(() => refused33.Handshake("003.003")); // 3.3 without a password has no SecurityResult: the connection ends
    }

    internal static void WaitUntil(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < (limit ?? TimeSpan.FromSeconds(10)), $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>A client that sends the RFB version one byte at a time, a byte every <c>interval</c>, on a thread of its own.</summary>
    private sealed class TricklingClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private volatile int _sent;
        private volatile bool _closed;

        public TricklingClient(VncTestServer server, TimeSpan interval)
        {
            _socket = new Socket(server.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _socket.Connect(server.EndPoint);
            _thread = new Thread(() => Trickle(interval)) { IsBackground = true };
            _thread.Start();
        }

        public int BytesSent => _sent;

        /// <summary>The server closed the connection (a read saw its end, or a send failed).</summary>
        public bool Closed => _closed;

        private void Trickle(TimeSpan interval)
        {
            var version = "RFB 003.008\n"u8.ToArray();
            var scratch = new byte[64];
            try
            {
                for (int i = 0; !_stop.IsCancellationRequested; i = (i + 1) % version.Length)
                {
                    _socket.Send(version.AsSpan(i, 1));
                    _sent++;
                    // Drain what the server says, and see it close.
                    var wait = Stopwatch.StartNew();
                    while (wait.Elapsed < interval && !_stop.IsCancellationRequested)
                    {
                        if (!_socket.Poll(20_000, SelectMode.SelectRead)) continue;
                        if (_socket.Receive(scratch) == 0)
                        {
                            _closed = true;
                            return;
                        }
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _closed = true;
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
            _socket.Dispose();
        }
    }
}
