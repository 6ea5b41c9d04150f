using System.Net.Sockets;
using Glue.Core.Devices;

namespace Glue.Display.Vnc;

/// <summary>
/// The listening socket of a <see cref="VncEndpoint"/>. Binding fails with a clear reason when the port is taken or
/// the Unix socket's path already exists (a file left there may be another server's: Glue never removes it); the
/// socket file Glue made is removed when the listener closes.
/// </summary>
internal sealed class VncListener : IDisposable
{
    private const int Backlog = 8;

    private readonly string? _unixPath;

    private VncListener(Socket socket, string? unixPath)
    {
        Socket = socket;
        _unixPath = unixPath;
    }

    public Socket Socket { get; }

    public static VncListener Bind(VncEndpoint endpoint)
    {
        string? unixPath = endpoint.IsUnix ? endpoint.Address.ToString() : null;
        if (unixPath is not null && (File.Exists(unixPath) || Directory.Exists(unixPath)))
            throw new DeviceConfigException($"--vnc {endpoint.Describe()}: {unixPath} already exists: remove it or choose another path");
        var socket = unixPath is not null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        bool bound = false;
        try
        {
            socket.Bind(endpoint.Address);
            bound = true;
            if (unixPath is not null) File.SetUnixFileMode(unixPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(Backlog);
            return new VncListener(socket, unixPath);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            // Only the file this bind made is removed: a path that was there before is someone else's.
            if (unixPath is not null && bound) File.Delete(unixPath);
            throw new DeviceConfigException((e as SocketException)?.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"--vnc {endpoint.Describe()}: the address is in use: choose another display (:N) or port",
                SocketError.AddressNotAvailable => $"--vnc {endpoint.Describe()}: this host has no such address: use one of its own, or :N for loopback",
                SocketError.AccessDenied => $"--vnc {endpoint.Describe()}: permission denied: use a port above 1023 or a path you may write",
                SocketError code => $"--vnc {endpoint.Describe()}: cannot listen there ({code}): choose another address",
                null => $"--vnc {endpoint.Describe()}: cannot make the socket file mode 0600 there: choose a path on a file system that has Unix modes",
            });
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        if (_unixPath is not null) File.Delete(_unixPath);
    }
}
