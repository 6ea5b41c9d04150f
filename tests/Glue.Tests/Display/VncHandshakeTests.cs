using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>The RFB opening of each version Glue speaks, with and without VNC Authentication (RFC 6143 §7.1-7.3).</summary>
public class VncHandshakeTests
{
    [Theory]
    [InlineData("003.003")]
    [InlineData("003.007")]
    [InlineData("003.008")]
    [InlineData("003.005")] // an unknown 3.x is 3.3 (§7.1.1)
    public void Each_version_reaches_server_init_with_the_screens_size_and_format(string version)
    {
        using var server = new VncTestServer(width: 320, height: 200);
        using var client = server.Connect(version);

        Assert.Equal("RFB 003.008", client.ServerVersion);
        Assert.Equal((320, 200), (client.Width, client.Height));
        Assert.Equal(RfbPixelFormat.Native, client.ServerFormat);
        Assert.Equal("glue", client.DesktopName);
        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        TestImages.AssertPixels(server.Expected, 320, client.Frame, 0, $"RFB {version} first frame");
    }

    [Theory]
    [InlineData("003.003")]
    [InlineData("003.007")]
    [InlineData("003.008")]
    public void The_right_password_is_accepted(string version)
    {
        using var server = new VncTestServer(password: "s3cret");
        using var client = server.Connect(version, password: "s3cret");

        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        TestImages.AssertPixels(server.Expected, client.Width, client.Frame, 0, "after authentication");
    }

    [Theory]
    [InlineData("003.003", "failed")]
    [InlineData("003.007", "failed")]
    [InlineData("003.008", "authentication failed")]
    public void A_wrong_password_fails_and_the_connection_ends(string version, string reason)
    {
        using var server = new VncTestServer(password: "s3cret");
        using var client = RfbTestClient.Connect(server.EndPoint);

        Assert.Equal(reason, client.Handshake(version, password: "guess"));
        Assert.True(client.IsClosedByServer());
    }

    [Fact]
    public void A_client_that_is_not_rfb_is_dropped_and_the_server_serves_the_next()
    {
        using var server = new VncTestServer();
        using (var bad = RfbTestClient.Connect(server.EndPoint))
        {
            bad.Send("GET / HTTP/1.1\r\n\r\n"u8);
            Assert.True(bad.IsClosedByServer());
        }
        using var good = server.Connect();
        Assert.Equal(320, good.Width);
    }

    [Fact]
    public void A_unix_socket_serves_as_tcp_does()
    {
        using var server = new VncTestServer(unix: true);
        using var client = server.Connect();

        client.RequestUpdate(incremental: false);
        client.ReadUpdate();
        TestImages.AssertPixels(server.Expected, client.Width, client.Frame, 0, "over a Unix socket");
    }
}
