using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;

namespace Glue.Display.Vnc;

/// <summary>
/// Glue's VNC server (RFC 6143) for one <see cref="GuestDisplay"/>: RFB 3.3, 3.7 and 3.8, no security or VNC
/// Authentication, Raw and ZRLE, the DesktopSize and Cursor pseudo-encodings; the clients' keys and pointer go to
/// the display's input devices. Each client has its own threads and pending damage (<see cref="VncClient"/>), so none
/// can hold up the guest or another client. A connection still in the RFB opening holds no slot: at most
/// <see cref="MaxHandshakes"/> are in it at once (a new one closes the oldest) and each has a deadline; a slot among
/// the endpoint's connections=N is taken once the client has passed authentication. Disposing it closes the
/// listener and every client.
/// </summary>
public sealed class VncServer : IDisposable
{
    /// <summary>How many connections may be in the RFB opening at once; one more closes the oldest, so slow openers cannot lock others out.</summary>
    public const int MaxHandshakes = 8;

    private readonly VncListener _listener;
    private readonly GuestDisplay _display;
    private readonly VncAuthentication? _authentication;
    private readonly AuthenticationThrottle _throttle;
    private readonly int _connections;
    private readonly VncTimeouts _timeouts;
    private readonly Action<string>? _log;
    private readonly List<VncClient> _opening = []; // oldest first; under _clients' lock
    private readonly List<VncClient> _clients = [];
    private bool _disposed;

    private VncServer(VncListener listener, GuestDisplay display, VncAuthentication? authentication, int connections, VncTimeouts timeouts, Action<string>? log)
    {
        _listener = listener;
        _display = display;
        _authentication = authentication;
        _throttle = new AuthenticationThrottle(timeouts.FailureDelay);
        _connections = connections;
        _timeouts = timeouts;
        _log = log;
    }

    /// <summary>Where the server listens (with the port the system chose, for port 0).</summary>
    public EndPoint LocalEndPoint => _listener.Socket.LocalEndPoint!;

    /// <summary>
    /// Reads the endpoint's password file, binds its address and starts serving; throws
    /// <see cref="DeviceConfigException"/> with a one-line reason when either cannot be done. Wrong passwords are
    /// reported to <paramref name="log"/> (glue's -v), one line each.
    /// </summary>
    public static VncServer Start(GuestDisplay display, VncEndpoint endpoint, Action<string>? log = null) => Start(display, endpoint, VncTimeouts.Default, log);

    internal static VncServer Start(GuestDisplay display, VncEndpoint endpoint, VncTimeouts timeouts, Action<string>? log = null)
    {
        var authentication = endpoint.ReadPassword() is { } password ? new VncAuthentication(password) : null;
        var server = new VncServer(VncListener.Bind(endpoint), display, authentication, endpoint.Connections, timeouts, log);
        new Thread(server.Accept) { Name = "vnc-accept", IsBackground = true }.Start();
        return server;
    }

    /// <summary>How many clients hold a slot now (past the opening).</summary>
    public int ClientCount
    {
        get
        {
            lock (_clients) return _clients.Count;
        }
    }

    /// <summary>How many connections are in the RFB opening now.</summary>
    public int OpeningCount
    {
        get
        {
            lock (_clients) return _opening.Count;
        }
    }

    private void Accept()
    {
        Core.Sandbox.SeccompFilters.Enter(Core.Sandbox.ThreadKind.Display); // its clients' threads inherit the filter
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listener.Socket.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener closed: the server is ending
            }
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true;
            // Every Unix-socket client is one address to the failure delay: they are all this host's.
            string address = socket.RemoteEndPoint is IPEndPoint ip ? ip.Address.ToString() : "the Unix socket";
            VncClient? client = null;
            var admission = new VncAdmission(_authentication, _throttle, address, () => TakeSlot(client!), _log);
            client = new VncClient(socket, _display, admission, _timeouts, Forget);
            VncClient? evicted = null;
            lock (_clients)
            {
                if (_disposed)
                {
                    socket.Dispose();
                    return;
                }
                if (_opening.Count >= MaxHandshakes)
                {
                    evicted = _opening[0];
                    _opening.RemoveAt(0);
                }
                _opening.Add(client);
            }
            evicted?.Close();
            client.Start();
        }
    }

    /// <summary>Moves a client past the opening into a slot; false when all connections=N are taken.</summary>
    private bool TakeSlot(VncClient client)
    {
        lock (_clients)
        {
            if (!_opening.Remove(client) || _clients.Count >= _connections) return false;
            _clients.Add(client);
            return true;
        }
    }

    private void Forget(VncClient client)
    {
        lock (_clients)
        {
            _opening.Remove(client);
            _clients.Remove(client);
        }
    }

    public void Dispose()
    {
        VncClient[] clients;
        lock (_clients)
        {
            if (_disposed) return;
            _disposed = true;
            clients = [.. _opening, .. _clients];
        }
        _listener.Dispose();
        foreach (var client in clients) client.Close();
    }
}
