using System.Net;
using Glue.Display;
using Glue.Display.Vnc;
using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>
/// A VNC server run in the test process on a display the test writes (<see cref="TestPatterns"/>), on a free
/// loopback port or a Unix socket in a private directory, with an optional password; all removed on dispose.
/// </summary>
internal sealed class VncTestServer : IDisposable
{
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("glue-vnc-test-").FullName;

    public VncTestServer(string? password = null, bool unix = false, int width = 320, int height = 200, TimeSpan? sendTimeout = null,
        int connections = VncEndpoint.DefaultConnections, VncTimeouts? timeouts = null, Action<string>? log = null)
    {
        Display.Surface.Resize(width, height);
        TestPatterns.Fill(Display.Surface, TestPatterns.ColourBarsAndGradient);
        string? passwordFile = null;
        if (password is not null)
        {
            passwordFile = Path.Combine(_directory, "password");
            File.WriteAllText(passwordFile, password + "\n");
        }
        EndPoint address = unix ? new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(_directory, "vnc.sock")) : new IPEndPoint(IPAddress.Loopback, 0);
        timeouts ??= VncTimeouts.Default;
        if (sendTimeout is { } send) timeouts = timeouts with { Send = send };
        Server = VncServer.Start(Display, new VncEndpoint(address, passwordFile, connections), timeouts, log);
    }

    public GuestDisplay Display { get; } = new();

    public VncServer Server { get; }

    public EndPoint EndPoint => Server.LocalEndPoint;

    public int Port => ((IPEndPoint)Server.LocalEndPoint).Port;

    public string Directory => _directory;

    public uint[] Expected => TestPatterns.Snapshot(Display.Surface);

    public RfbTestClient Connect(string version = "003.008", string? password = null)
    {
        var client = RfbTestClient.Connect(EndPoint);
        string? failure = client.Handshake(version, password);
        Assert.True(failure is null, $"handshake failed: {failure}");
        return client;
    }

    public void Dispose()
    {
        Server.Dispose();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}
