using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;

namespace Glue.Display.Vnc;

/// <summary>
/// Glue's VNC server (RFC 6143) for one <see cref="GuestDisplay"/>: RFB 3.3, 3.7 and 3.8, no security or VNC
/// Authentication, Raw and ZRLE, the DesktopSize and Cursor pseudo-encodings; the clients' keys and pointer go to
/// the display's input devices. Each client has its own threads and pending damage (<see cref="VncClient"/>), so none
/// can hold up the guest or another client. Disposing it closes the listener and every client.
/// </summary>
public sealed class VncServer : IDisposable
{
    /// <summary>How many clients may be connected at once; one more is closed at once.</summary>
    public const int MaxClients = 16;

    /// <summary>How long a client may leave an update unread before it is dropped.</summary>
    public static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(15);

    private readonly VncListener _listener;
    private readonly GuestDisplay _display;
    private readonly VncAuthentication? _authentication;
    private readonly TimeSpan _sendTimeout;
    private readonly List<VncClient> _clients = [];
    private bool _disposed;

    private VncServer(VncListener listener, GuestDisplay display, VncAuthentication? authentication, TimeSpan sendTimeout)
    {
        _listener = listener;
        _display = display;
        _authentication = authentication;
        _sendTimeout = sendTimeout;
    }

    /// <summary>Where the server listens (with the port the system chose, for port 0).</summary>
    public EndPoint LocalEndPoint => _listener.Socket.LocalEndPoint!;

    /// <summary>
    /// Reads the endpoint's password file, binds its address and starts serving; throws
    /// <see cref="DeviceConfigException"/> with a one-line reason when either cannot be done.
    /// </summary>
    public static VncServer Start(GuestDisplay display, VncEndpoint endpoint) => Start(display, endpoint, DefaultSendTimeout);

    internal static VncServer Start(GuestDisplay display, VncEndpoint endpoint, TimeSpan sendTimeout)
    {
        VncAuthentication? authentication = null;
        if (endpoint.ReadPassword() is { } password)
        {
            try
            {
                authentication = new VncAuthentication(password);
            }
            catch (ArgumentException e)
            {
                throw new DeviceConfigException($"--vnc password file {endpoint.PasswordFile}: {e.Message}");
            }
        }
        var server = new VncServer(VncListener.Bind(endpoint), display, authentication, sendTimeout);
        new Thread(server.Accept) { Name = "vnc-accept", IsBackground = true }.Start();
        return server;
    }

    /// <summary>How many clients are connected now.</summary>
    public int ClientCount
    {
        get
        {
            lock (_clients) return _clients.Count;
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
            var client = new VncClient(socket, _display, _authentication, _sendTimeout, Forget);
            lock (_clients)
            {
                if (_disposed || _clients.Count >= MaxClients)
                {
                    socket.Dispose();
                    continue;
                }
                _clients.Add(client);
            }
            client.Start();
        }
    }

    private void Forget(VncClient client)
    {
        lock (_clients) _clients.Remove(client);
    }

    public void Dispose()
    {
        VncClient[] clients;
        lock (_clients)
        {
            if (_disposed) return;
            _disposed = true;
            clients = [.. _clients];
        }
        _listener.Dispose();
        foreach (var client in clients) client.Close();
    }
}
