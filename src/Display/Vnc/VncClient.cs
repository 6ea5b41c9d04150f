using System.Buffers.Binary;
using System.Net.Sockets;

namespace Glue.Display.Vnc;

/// <summary>
/// One connected VNC client: a reader thread that runs the handshake, which must be done within the handshake
/// deadline however slowly the client trickles its bytes, and then takes the client's messages; and a writer thread
/// that sends updates. The display device's thread only unions damage into this client's pending
/// state and wakes the writer, so a slow client gets its changes coalesced into fewer, larger updates and a client
/// that stops reading blocks only its own writer, until the send times out and the client is dropped.
/// </summary>
internal sealed class VncClient : IDisplayListener
{
    private const int MaxEncodings = 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly GuestDisplay _display;
    private readonly VncAdmission _admission;
    private readonly TimeSpan _sendTimeout, _handshakeDeadline;
    private readonly Action<VncClient> _closed;
    private readonly object _gate = new();

    // Under _gate: what the next update is to carry, and how.
    private ScreenRect _damage;
    private bool _requested, _cursorPending, _closing;
    private PixelFormat _format = PixelFormat.Native;
    private int _encoding = Rfb.EncodingRaw;
    private bool _desktopSize, _cursorShape;

    private IDisposable? _subscription;

    public VncClient(Socket socket, GuestDisplay display, VncAdmission admission, VncTimeouts timeouts, Action<VncClient> closed)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _display = display;
        _admission = admission;
        _sendTimeout = timeouts.Send;
        _handshakeDeadline = timeouts.Handshake;
        _closed = closed;
    }

    public void Start() => new Thread(Read) { Name = "vnc-client", IsBackground = true }.Start();

    /// <summary>Ends the connection; both threads leave as their socket calls fail.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closing) return;
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        _subscription?.Dispose();
        _socket.Dispose();
        _closed(this);
    }

    public void Damaged(ScreenRect area)
    {
        lock (_gate)
        {
            _damage = _damage.Union(area);
            if (_requested) Monitor.Pulse(_gate);
        }
    }

    public void Resized(int width, int height) => Damaged(new ScreenRect(0, 0, width, height));

    public void CursorChanged()
    {
        lock (_gate)
        {
            _cursorPending = true;
            if (_requested) Monitor.Pulse(_gate);
        }
    }

    private void Read()
    {
        try
        {
            _socket.SendTimeout = (int)_sendTimeout.TotalMilliseconds;
            var surface = _display.Surface;
            int width, height;
            // The deadline is for the whole opening: a client sending a byte now and then cannot keep its connection.
            // No receive timeout after it: a viewer may sit idle for hours and keeps its slot, as in QEMU.
            using (new Timer(static client => ((VncClient)client!).Close(), this, _handshakeDeadline, Timeout.InfiniteTimeSpan))
            {
                RfbHandshake.Run(_stream, _admission);
                lock (surface.Lock)
                {
                    width = surface.Width;
                    height = surface.Height;
                }
                SendServerInit(width, height);
            }
            _subscription = surface.Subscribe(this);
            lock (_gate)
            {
                // Closed while subscribing: Close may have missed the subscription.
                if (_closing)
                {
                    _subscription.Dispose();
                    return;
                }
            }
            new Thread(() => Write(width, height)) { Name = "vnc-update", IsBackground = true }.Start();
            while (ReadMessage())
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or RfbProtocolException)
        {
            // The client left, stalled or broke the protocol: only this connection ends.
        }
        finally
        {
            Close();
        }
    }

    /// <summary>§7.3.2: the framebuffer's size, Glue's pixel format and the desktop's name.</summary>
    private void SendServerInit(int width, int height)
    {
        var name = "glue"u8;
        Span<byte> message = stackalloc byte[4 + PixelFormat.Size + 4 + name.Length];
        BinaryPrimitives.WriteUInt16BigEndian(message, (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)height);
        PixelFormat.Native.Write(message[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(message[(4 + PixelFormat.Size)..], (uint)name.Length);
        name.CopyTo(message[(8 + PixelFormat.Size)..]);
        _stream.Write(message);
    }

    /// <summary>One client-to-server message (§7.5); false when the client closed between messages.</summary>
    private bool ReadMessage()
    {
        int type = _stream.ReadByte();
        if (type < 0) return false;
        Span<byte> body = stackalloc byte[19];
        switch (type)
        {
            case Rfb.SetPixelFormat:
                _stream.ReadExactly(body[..19]);
                var format = PixelFormat.Parse(body[3..], out string? reason) ?? throw new RfbProtocolException($"SetPixelFormat with {reason}");
                lock (_gate) _format = format;
                break;
            case Rfb.SetEncodings:
                _stream.ReadExactly(body[..3]);
                ReadEncodings(BinaryPrimitives.ReadUInt16BigEndian(body[1..]));
                break;
            case Rfb.FramebufferUpdateRequest:
                _stream.ReadExactly(body[..9]);
                var area = new ScreenRect(
                    BinaryPrimitives.ReadUInt16BigEndian(body[1..]), BinaryPrimitives.ReadUInt16BigEndian(body[3..]),
                    BinaryPrimitives.ReadUInt16BigEndian(body[5..]), BinaryPrimitives.ReadUInt16BigEndian(body[7..]));
                lock (_gate)
                {
                    // Non-incremental: the client has lost the area (or never had it) and wants all of it again.
                    if (body[0] == 0)
                    {
                        _damage = _damage.Union(area);
                        _cursorPending = true;
                    }
                    _requested = true;
                    Monitor.Pulse(_gate);
                }
                break;
            case Rfb.KeyEvent:
                _stream.ReadExactly(body[..7]);
                ushort code = KeysymMap.ToLinuxKey(BinaryPrimitives.ReadUInt32BigEndian(body[3..]));
                if (code != 0) _display.Key(code, body[0] != 0);
                break;
            case Rfb.PointerEvent:
                _stream.ReadExactly(body[..5]);
                _display.Pointer(BinaryPrimitives.ReadUInt16BigEndian(body[1..]), BinaryPrimitives.ReadUInt16BigEndian(body[3..]),
                    (PointerButtons)(body[0] & 0x1f));
                break;
            case Rfb.ClientCutText:
                _stream.ReadExactly(body[..7]);
                // Glue has no clipboard: the text is read and dropped. A negative length is the extended clipboard's.
                Skip(Math.Abs((long)BinaryPrimitives.ReadInt32BigEndian(body[3..])));
                break;
            default:
                throw new RfbProtocolException($"unknown message type {type}");
        }
        return true;
    }

    /// <summary>The client's encodings in order of preference: the first of Raw and ZRLE it names is used.</summary>
    private void ReadEncodings(int count)
    {
        if (count > MaxEncodings) throw new RfbProtocolException($"SetEncodings with {count} encodings");
        Span<byte> word = stackalloc byte[4];
        int? chosen = null;
        bool desktopSize = false, cursorShape = false;
        for (int i = 0; i < count; i++)
        {
            _stream.ReadExactly(word);
            int encoding = BinaryPrimitives.ReadInt32BigEndian(word);
            if (encoding is Rfb.EncodingRaw or Rfb.EncodingZrle) chosen ??= encoding;
            desktopSize |= encoding == Rfb.EncodingDesktopSize;
            cursorShape |= encoding == Rfb.EncodingCursor;
        }
        lock (_gate)
        {
            _encoding = chosen ?? Rfb.EncodingRaw;
            _desktopSize = desktopSize;
            _cursorShape = cursorShape;
            _cursorPending |= cursorShape;
        }
    }

    private void Skip(long count)
    {
        Span<byte> scratch = stackalloc byte[256];
        while (count > 0)
        {
            int chunk = (int)Math.Min(count, scratch.Length);
            _stream.ReadExactly(scratch[..chunk]);
            count -= chunk;
        }
    }

    /// <summary>The writer thread: waits for a request with something to send, builds the update, sends it.</summary>
    private void Write(int width, int height)
    {
        using var update = new FramebufferUpdate(_display.Surface, width, height);
        try
        {
            while (TakeUpdate() is { } content)
            {
                if (update.Build(content)) _stream.Write(update.Message.Written);
                else
                {
                    lock (_gate) _requested = true; // nothing went out: the request still stands
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // A send that timed out or failed: the client cannot keep up or is gone.
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Blocks until the client has asked and there is damage or a cursor change; null when closing.</summary>
    private UpdateContent? TakeUpdate()
    {
        lock (_gate)
        {
            while (!_closing && !(_requested && (!_damage.IsEmpty || (_cursorPending && _cursorShape)))) Monitor.Wait(_gate);
            if (_closing) return null;
            var content = new UpdateContent(_damage, _cursorPending, _format, _encoding, _desktopSize, _cursorShape);
            _damage = ScreenRect.Empty;
            _cursorPending = _requested = false;
            return content;
        }
    }
}
