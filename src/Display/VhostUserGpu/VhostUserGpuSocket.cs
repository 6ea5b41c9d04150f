using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Display.VhostUserGpu;

/// <summary>
/// The back end's side of QEMU's vhost-user-gpu protocol (docs/interop/vhost-user-gpu.rst): the socket a frontend
/// hands over with VHOST_USER_GPU_SET_SOCKET, on which the back end shows the frontend (the display server) what the
/// guest's scanout holds. It mirrors a <see cref="DisplaySurface"/>: a mode change becomes SCANOUT, damage becomes
/// UPDATE with the pixels, the cursor CURSOR_UPDATE or CURSOR_POS_HIDE. The surface's listener calls only note what
/// changed; a thread of its own writes, so a frontend that reads slowly never holds the device.
/// </summary>
public sealed class VhostUserGpuSocket : IDisplayListener, IDisposable
{
    // VhostUserGpuRequest (vhost-user-gpu.rst "Message types").
    private const uint VHOST_USER_GPU_CURSOR_POS_HIDE = 5;
    private const uint VHOST_USER_GPU_CURSOR_UPDATE = 6;
    private const uint VHOST_USER_GPU_SCANOUT = 7;
    private const uint VHOST_USER_GPU_UPDATE = 8;

    // The header: request, flags, payload size, each a native-endian u32.
    private const int HeaderSize = 12;
    // VhostUserGpuCursorUpdate's image: 64 x 64 a8r8g8b8.
    private const int CursorSide = 64;
    private const uint ScanoutId = 0;

    private readonly SafeHandle _fd;
    private readonly Socket _socket;
    private readonly DisplaySurface _surface;
    private readonly Action<string> _log;
    private readonly IDisposable _subscription;
    private readonly Thread _writer;
    private readonly object _pendingLock = new();
    private bool _resized = true, _cursorChanged, _closed;
    private ScreenRect _damage;
    private byte[] _buffer = [];

    /// <summary>
    /// Takes <paramref name="socketFd"/> (the frontend's end, from SET_SOCKET; closed on <see cref="Dispose"/>) and
    /// starts by sending the current mode and screen. An fd that is not a stream socket throws <see cref="SocketException"/>
    /// and stays the caller's.
    /// </summary>
    public VhostUserGpuSocket(SafeHandle socketFd, DisplaySurface surface, Action<string> log)
    {
        // Checked before .NET sees it: a Socket made of a descriptor that is not one probes the host's IPv6 support
        // (a socket call) and starts .NET's sockets engine, neither of which the device thread's filter allows.
        if (!IsSocket(socketFd)) throw new SocketException((int)SocketError.SocketNotSupported);
        // The Socket borrows the fd (it would close it on its own); the SafeHandle keeps it open until Dispose.
        var socket = new Socket(new SafeSocketHandle(socketFd.DangerousGetHandle(), ownsHandle: false));
        if (socket.SocketType != SocketType.Stream)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.SocketNotSupported);
        }
        _fd = socketFd;
        _socket = socket;
        _socket.Blocking = true;
        _surface = surface;
        _log = log;
        _damage = new ScreenRect(0, 0, surface.Width, surface.Height);
        _subscription = surface.Subscribe(this);
        _writer = new Thread(Write) { IsBackground = true, Name = "vhost-user-gpu" };
        _writer.Start();
    }

    public void Damaged(ScreenRect area) => Note(() => _damage = _damage.Union(area));

    public void Resized(int width, int height) => Note(() =>
    {
        _resized = true;
        _damage = new ScreenRect(0, 0, width, height);
    });

    public void CursorChanged() => Note(() => _cursorChanged = true);

    private void Note(Action change)
    {
        lock (_pendingLock)
        {
            change();
            Monitor.Pulse(_pendingLock);
        }
    }

    private void Write()
    {
        Core.Sandbox.SeccompFilters.Enter(Core.Sandbox.ThreadKind.Display);
        try
        {
            while (true)
            {
                bool resized, cursor;
                ScreenRect damage;
                lock (_pendingLock)
                {
                    while (!_closed && !_resized && !_cursorChanged && _damage.IsEmpty) Monitor.Wait(_pendingLock);
                    if (_closed) return;
                    (resized, cursor, damage) = (_resized, _cursorChanged, _damage);
                    (_resized, _cursorChanged, _damage) = (false, false, ScreenRect.Empty);
                }
                if (resized) SendScanout();
                if (!damage.IsEmpty) SendUpdate(damage);
                if (cursor) SendCursor();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The frontend went away: the device goes on; only this mirror ends.
            if (!Volatile.Read(ref _closed)) _log($"vhost-user-gpu socket: {e.Message}; the frontend no longer sees the display");
        }
    }

    private void SendScanout()
    {
        var payload = Begin(VHOST_USER_GPU_SCANOUT, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(payload, ScanoutId);
        lock (_surface.Lock)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(payload[4..], (uint)_surface.Width);
            BinaryPrimitives.WriteUInt32LittleEndian(payload[8..], (uint)_surface.Height);
        }
        Send(12);
    }

    /// <summary>VhostUserGpuUpdate: scanout, x, y, w, h, then the rectangle's x8r8g8b8 rows, which is the surface's own format.</summary>
    private void SendUpdate(ScreenRect damage)
    {
        int size;
        // The rows are copied into the send buffer under the surface's lock and sent after it is released.
        lock (_surface.Lock)
        {
            var area = damage.ClipTo(_surface.Width, _surface.Height);
            if (area.IsEmpty) return;
            size = 20 + area.Width * area.Height * 4;
            var payload = Begin(VHOST_USER_GPU_UPDATE, size);
            BinaryPrimitives.WriteUInt32LittleEndian(payload, ScanoutId);
            BinaryPrimitives.WriteUInt32LittleEndian(payload[4..], (uint)area.X);
            BinaryPrimitives.WriteUInt32LittleEndian(payload[8..], (uint)area.Y);
            BinaryPrimitives.WriteUInt32LittleEndian(payload[12..], (uint)area.Width);
            BinaryPrimitives.WriteUInt32LittleEndian(payload[16..], (uint)area.Height);
            var pixels = MemoryMarshal.Cast<byte, uint>(payload[20..]);
            var screen = _surface.Pixels;
            for (int row = 0; row < area.Height; row++)
                screen.Slice((area.Y + row) * _surface.Width + area.X, area.Width).CopyTo(pixels.Slice(row * area.Width, area.Width));
        }
        Send(size);
    }

    /// <summary>VhostUserGpuCursorUpdate (position, hot spot, a 64 x 64 image), or CURSOR_POS_HIDE when there is none.</summary>
    private void SendCursor()
    {
        DisplayCursor? cursor;
        int x, y;
        lock (_surface.Lock) (cursor, x, y) = (_surface.Cursor, _surface.CursorX, _surface.CursorY);
        if (cursor is null)
        {
            var hide = Begin(VHOST_USER_GPU_CURSOR_POS_HIDE, 12);
            WritePosition(hide, x, y);
            Send(12);
            return;
        }
        const int size = 12 + 8 + CursorSide * CursorSide * 4;
        var payload = Begin(VHOST_USER_GPU_CURSOR_UPDATE, size);
        WritePosition(payload, x, y);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[12..], (uint)cursor.HotX);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[16..], (uint)cursor.HotY);
        var image = MemoryMarshal.Cast<byte, uint>(payload[20..]);
        image.Clear();
        for (int row = 0; row < Math.Min(cursor.Height, CursorSide); row++)
            cursor.Pixels.AsSpan(row * cursor.Width, Math.Min(cursor.Width, CursorSide)).CopyTo(image[(row * CursorSide)..]);
        Send(size);
    }

    private static void WritePosition(Span<byte> payload, int x, int y)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(payload, ScanoutId);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[4..], (uint)Math.Max(0, x));
        BinaryPrimitives.WriteUInt32LittleEndian(payload[8..], (uint)Math.Max(0, y));
    }

    /// <summary>Writes the header into the send buffer (grown, never shrunk) and returns the payload's span.</summary>
    private Span<byte> Begin(uint request, int payloadSize)
    {
        if (_buffer.Length < HeaderSize + payloadSize) _buffer = new byte[HeaderSize + payloadSize];
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, request);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), (uint)payloadSize);
        return _buffer.AsSpan(HeaderSize, payloadSize);
    }

    private void Send(int payloadSize)
    {
        var message = _buffer.AsSpan(0, HeaderSize + payloadSize);
        while (!message.IsEmpty) message = message[_socket.Send(message)..];
    }

    public void Dispose()
    {
        _subscription.Dispose();
        lock (_pendingLock)
        {
            _closed = true;
            Monitor.Pulse(_pendingLock);
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);   // unblocks a Send the frontend does not read
        }
        catch (SocketException)
        {
            // Already disconnected.
        }
        _writer.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
        _fd.Dispose();
    }

    private static bool IsSocket(SafeHandle fd) => FileStatus.Of(fd, out var status) == 0 && status.Kind == FileKind.Socket;
}
