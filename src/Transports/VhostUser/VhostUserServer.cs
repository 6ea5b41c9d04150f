using System.Runtime.InteropServices;
using System.Text;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Virtio;
using Glue.Virtio.Events;
using static Glue.Core.Interop.Libc;
using static Glue.Transports.VhostUser.SocketLibc;

namespace Glue.Transports.VhostUser;

/// <summary>
/// `glue device`'s server: a Unix socket at a path, where frontends connect one at a time (QEMU's
/// `-chardev socket,path=PATH`), each served by a <see cref="VhostUserSession"/> against the one device. A
/// frontend that leaves is waited for again (QEMU reconnects with `reconnect=N`). It owns the device's I/O thread;
/// the device stays the caller's.
/// </summary>
public sealed unsafe class VhostUserServer : IVirtioBackend
{
    private readonly string _path;
    private readonly SafeFd _listener;
    private readonly EventFd _stop = new();
    private readonly EventLoop _loop;
    private readonly VhostUserBackend _backend;
    private readonly Action<string> _log;
    private readonly bool _verbose;
    private bool _disposed;

    private VhostUserServer(string path, SafeFd listener, IVirtioDevice device, Action<string> log, bool verbose, bool allowUnsealedMemory, Func<SafeFd, string?>? displaySocket)
    {
        _path = path;
        _listener = listener;
        _log = log;
        _verbose = verbose;
        _loop = new EventLoop("vhost-user");
        _backend = new VhostUserBackend(device, _loop, log, allowUnsealedMemory, displaySocket);
    }

    /// <summary>Binds and listens at <paramref name="path"/>; a path that cannot be used throws <see cref="DeviceConfigException"/>.</summary>
    public static VhostUserServer Listen(string path, IVirtioDevice device, Action<string> log, bool verbose, bool allowUnsealedMemory = false, Func<SafeFd, string?>? displaySocket = null)
    {
        path = Path.GetFullPath(path);
        var listener = Bind(path);
        try
        {
            return new VhostUserServer(path, listener, device, log, verbose, allowUnsealedMemory, displaySocket);
        }
        catch
        {
            listener.Dispose();
            Unlink(path);
            throw;
        }
    }

    public void Serve()
    {
        while (WaitReadable(_listener, _stop.Handle))
        {
            int fd = Accept4(_listener.Fd, null, null, SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is EINTR or EAGAIN) continue;
                throw new NativeError("accept4", errno);
            }
            if (_verbose) _log("vhost-user: a frontend connected");
            using var socket = new MessageSocket(new SafeFd(fd), _stop.Handle);
            VhostUserSession.Run(socket, _backend, _loop, _log);
            if (_verbose) _log("vhost-user: the frontend is gone; waiting for the next one");
        }
    }

    public void Stop() => _stop.Signal();

    private static SafeFd Bind(string path)
    {
        string? directory = Path.GetDirectoryName(path);
        if (directory is null || !Directory.Exists(directory)) throw new DeviceConfigException($"--socket {path}: directory {directory} does not exist: create it or give a path in one that does");
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= SunPathSize) throw new DeviceConfigException($"--socket {path}: a Unix socket path has at most {SunPathSize - 1} bytes");
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (!UnixSocketPath.IsStale(path)) throw new DeviceConfigException($"--socket {path}: already exists (and is not a socket a killed glue left): remove it or choose another path");
            File.Delete(path);
        }

        int fd = Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw NativeError.FromLastError("socket");
        var socket = new SafeFd(fd);
        var address = stackalloc byte[2 + SunPathSize];
        new Span<byte>(address, 2 + SunPathSize).Clear();
        *(ushort*)address = AF_UNIX;
        bytes.CopyTo(new Span<byte>(address + 2, SunPathSize));
        if (SocketLibc.Bind(fd, address, (uint)(2 + bytes.Length + 1)) != 0 || SocketLibc.Listen(fd, 1) != 0)
        {
            var error = NativeError.FromLastError($"listen on {path}");
            socket.Dispose();
            throw new DeviceConfigException($"--socket {path}: {error.Message}");
        }
        return socket;
    }

    /// <summary>Stops the device's thread (after resetting the device), closes the socket and removes its file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_loop.IsRunning) _loop.Invoke(_backend.Disconnect);
        _loop.Dispose();
        _listener.Dispose();
        Unlink(_path);
        _stop.Dispose();
    }
}
