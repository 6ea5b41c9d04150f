using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Glue.Display.VhostUserGpu;

/// <summary>
/// The one <see cref="VhostUserGpuSocket"/> of a served display device. QEMU hands over a fresh socket each time the
/// guest's driver reaches DRIVER_OK (and closes it when the device stops), so a new socket replaces the old one; an
/// fd that is not a stream socket is refused and closed, and the mirror that was there goes on.
/// </summary>
public sealed class VhostUserGpuMirror(DisplaySurface surface, Action<string> log) : IDisposable
{
    private readonly object _lock = new();
    private VhostUserGpuSocket? _socket;
    private bool _disposed;

    // .NET asks whether the host has IPv6 (a socket call) the first time it wraps a descriptor in a Socket, and keeps
    // the answer: asked here, as the device is set up, since the request thread that wraps the frontend's may not.
    static VhostUserGpuMirror() => _ = Socket.OSSupportsIPv6;

    /// <summary>Takes <paramref name="fd"/> (always: it is closed when refused); null, or the reason it is refused.</summary>
    public string? Replace(SafeHandle fd)
    {
        VhostUserGpuSocket socket;
        try
        {
            socket = new VhostUserGpuSocket(fd, surface, log);
        }
        catch (SocketException e)
        {
            fd.Dispose();
            return $"the vhost-user-gpu fd is not a socket Glue can use: {e.Message}";
        }
        VhostUserGpuSocket? old;
        lock (_lock)
        {
            if (_disposed)
            {
                socket.Dispose();
                return "the device is stopping";
            }
            (old, _socket) = (_socket, socket);
        }
        old?.Dispose();
        return null;
    }

    public void Dispose()
    {
        VhostUserGpuSocket? socket;
        lock (_lock)
        {
            _disposed = true;
            (socket, _socket) = (_socket, null);
        }
        socket?.Dispose();
    }
}
