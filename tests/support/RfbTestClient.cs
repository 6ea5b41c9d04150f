using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Glue.TestSupport;

/// <summary>A rectangle of a FramebufferUpdate as the client read it.</summary>
public readonly record struct RfbRectangle(int X, int Y, int Width, int Height, int Encoding);

/// <summary>A client's PIXEL_FORMAT (RFC 6143 §7.4), true colour.</summary>
public sealed record RfbPixelFormat(int BitsPerPixel, int Depth, bool BigEndian, int RedMax, int GreenMax, int BlueMax, int RedShift, int GreenShift, int BlueShift)
{
    public static readonly RfbPixelFormat Native = new(32, 24, false, 255, 255, 255, 16, 8, 0);

    public int BytesPerPixel => BitsPerPixel / 8;

    /// <summary>ZRLE's CPIXEL (§7.7.6): 3 bytes when 32 bpp, depth at most 24 and the colour in the low or high three bytes.</summary>
    public int CompactSize
    {
        get
        {
            if (BitsPerPixel != 32 || Depth > 24) return BytesPerPixel;
            long used = (long)RedMax << RedShift | (long)GreenMax << GreenShift | (long)BlueMax << BlueShift;
            return (used & 0xff000000) == 0 || (used & 0xff) == 0 ? 3 : 4;
        }
    }

    public bool CompactHigh => CompactSize == 3 && ((long)RedMax << RedShift | (long)GreenMax << GreenShift | (long)BlueMax << BlueShift) > 0xffffff;

    /// <summary>A pixel value back to 0x00RRGGBB, each channel scaled from its maximum to 255.</summary>
    public uint ToRgb(uint value)
    {
        uint Channel(int shift, int max) => (uint)((((value >> shift) & max) * 255 + max / 2) / max);
        return Channel(RedShift, RedMax) << 16 | Channel(GreenShift, GreenMax) << 8 | Channel(BlueShift, BlueMax);
    }

    /// <summary>How far a channel may be from the original after going through this format.</summary>
    public int Tolerance => 255 / (2 * Math.Min(RedMax, Math.Min(GreenMax, BlueMax))) + 1;
}

/// <summary>
/// A small RFB client written from RFC 6143 for the tests: the handshake of each version with or without VNC
/// Authentication, SetPixelFormat, SetEncodings, update requests, and Raw, ZRLE (with its own persistent inflater),
/// DesktopSize and Cursor decoded into a framebuffer of 0x00RRGGBB; key and pointer events.
/// </summary>
public sealed class RfbTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ChunkStream _zrleInput = new();
    private readonly ZLibStream _inflater;

    private RfbTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _inflater = new ZLibStream(_zrleInput, CompressionMode.Decompress);
        socket.ReceiveTimeout = socket.SendTimeout = 10_000;
    }

    public int Width { get; private set; }
    public int Height { get; private set; }
    public uint[] Frame { get; private set; } = [];
    public string DesktopName { get; private set; } = "";
    public RfbPixelFormat Format { get; private set; } = RfbPixelFormat.Native;
    public RfbPixelFormat ServerFormat { get; private set; } = RfbPixelFormat.Native;
    public (int HotX, int HotY, int Width, int Height, uint[] Pixels, byte[] Mask)? Cursor { get; private set; }

    /// <summary>When the last FramebufferUpdate's first byte arrived (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long UpdateArrived { get; private set; }

    /// <summary>The size on the wire of the last FramebufferUpdate read, header included.</summary>
    public long LastUpdateBytes { get; private set; }

    /// <summary>The version the server offered, e.g. "RFB 003.008".</summary>
    public string ServerVersion { get; private set; } = "";

    public static RfbTestClient Connect(EndPoint server)
    {
        var socket = server is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(server);
        return new RfbTestClient(socket);
    }

    /// <summary>A client on a socket already connected to the server (through another process's relay, say).</summary>
    public static RfbTestClient Over(Socket connected) => new(connected);

    /// <summary>Connects and runs the opening; the SecurityResult's failure reason (3.8) or "failed", null on success.</summary>
    public string? Handshake(string version = "003.008", string? password = null) =>
        Handshake(version, password is null ? null : Encoding.UTF8.GetBytes(password));

    /// <summary>The opening with a password of any bytes (RFC 6143 passwords are bytes).</summary>
    public string? Handshake(string version, byte[]? password)
    {
        var offer = new byte[12];
        _stream.ReadExactly(offer);
        ServerVersion = Encoding.ASCII.GetString(offer).TrimEnd('\n');
        _stream.Write(Encoding.ASCII.GetBytes($"RFB {version}\n"));
        bool v38 = version == "003.008", v33 = !v38 && version != "003.007"; // §7.1.1: any other 3.x is 3.3

        int security;
        if (v33)
        {
            security = (int)ReadU32();
            if (security == 0) return ReadReason();
        }
        else
        {
            int count = _stream.ReadByte();
            if (count == 0) return ReadReason();
            var types = new byte[count];
            _stream.ReadExactly(types);
            security = password is not null && types.Contains((byte)2) ? 2 : types[0];
            _stream.WriteByte((byte)security);
        }
        if (security == 2)
        {
            var challenge = new byte[16];
            _stream.ReadExactly(challenge);
            _stream.Write(VncResponse(challenge, password ?? []));
        }
        if (security == 2 || v38)
        {
            if (ReadU32() != 0) return v38 ? ReadReason() : "failed";
        }
        _stream.WriteByte(1); // ClientInit: shared
        Width = ReadU16();
        Height = ReadU16();
        var format = new byte[16];
        _stream.ReadExactly(format);
        ServerFormat = Format = new RfbPixelFormat(format[0], format[1], format[2] != 0,
            BinaryPrimitives.ReadUInt16BigEndian(format.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(format.AsSpan(6)),
            BinaryPrimitives.ReadUInt16BigEndian(format.AsSpan(8)), format[10], format[11], format[12]);
        var name = new byte[ReadU32()];
        _stream.ReadExactly(name);
        DesktopName = Encoding.UTF8.GetString(name);
        Frame = new uint[Width * Height];
        return null;
    }

    /// <summary>§7.2.2, written here from the RFC: DES-ECB of the challenge, the key the password's bytes each bit-reversed.</summary>
    private static byte[] VncResponse(byte[] challenge, byte[] bytes)
    {
        var key = new byte[8];
        for (int i = 0; i < Math.Min(8, bytes.Length); i++)
        {
            byte b = bytes[i], reversed = 0;
            for (int bit = 0; bit < 8; bit++) if ((b & (1 << bit)) != 0) reversed |= (byte)(0x80 >> bit);
            key[i] = reversed;
        }
        using var des = DES.Create();
        des.Key = key;
        return des.EncryptEcb(challenge, PaddingMode.None);
    }

    public void SetPixelFormat(RfbPixelFormat format)
    {
        var message = new byte[20];
        message[0] = 0;
        message[4] = (byte)format.BitsPerPixel;
        message[5] = (byte)format.Depth;
        message[6] = format.BigEndian ? (byte)1 : (byte)0;
        message[7] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(8), (ushort)format.RedMax);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(10), (ushort)format.GreenMax);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(12), (ushort)format.BlueMax);
        message[14] = (byte)format.RedShift;
        message[15] = (byte)format.GreenShift;
        message[16] = (byte)format.BlueShift;
        _stream.Write(message);
        Format = format;
    }

    public void SetEncodings(params int[] encodings)
    {
        var message = new byte[4 + 4 * encodings.Length];
        message[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)encodings.Length);
        for (int i = 0; i < encodings.Length; i++) BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4 + 4 * i), encodings[i]);
        _stream.Write(message);
    }

    public void RequestUpdate(bool incremental, int x = 0, int y = 0, int? width = null, int? height = null)
    {
        var message = new byte[10];
        message[0] = 3;
        message[1] = incremental ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), (ushort)y);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), (ushort)(width ?? Width));
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(8), (ushort)(height ?? Height));
        _stream.Write(message);
    }

    public void Key(uint keysym, bool down)
    {
        var message = new byte[8];
        message[0] = 4;
        message[1] = down ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), keysym);
        _stream.Write(message);
    }

    public void Pointer(int x, int y, byte buttons)
    {
        var message = new byte[6];
        message[0] = 5;
        message[1] = buttons;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), (ushort)y);
        _stream.Write(message);
    }

    /// <summary>Sends raw bytes (for malformed messages).</summary>
    public void Send(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    /// <summary>Reads one FramebufferUpdate, applies it to <see cref="Frame"/>, and returns its rectangles.</summary>
    public List<RfbRectangle> ReadUpdate()
    {
        int type = _stream.ReadByte();
        UpdateArrived = Stopwatch.GetTimestamp();
        if (type != 0) throw new InvalidDataException($"expected FramebufferUpdate, got message type {type}");
        _stream.ReadByte();
        int count = ReadU16();
        LastUpdateBytes = 4;
        var rectangles = new List<RfbRectangle>();
        for (int i = 0; i < count; i++)
        {
            var r = new RfbRectangle(ReadU16(), ReadU16(), ReadU16(), ReadU16(), (int)ReadU32());
            rectangles.Add(r);
            LastUpdateBytes += 12;
            switch (r.Encoding)
            {
                case 0:
                    ReadRaw(r);
                    break;
                case 16:
                    ReadZrle(r);
                    break;
                case -223:
                    Width = r.Width;
                    Height = r.Height;
                    Frame = new uint[Width * Height];
                    break;
                case -239:
                    ReadCursor(r);
                    break;
                default:
                    throw new InvalidDataException($"unexpected encoding {r.Encoding}");
            }
        }
        return rectangles;
    }

    /// <summary>True when the server sends nothing within <paramref name="wait"/>.</summary>
    public bool IsQuietFor(TimeSpan wait) => !_socket.Poll((int)wait.TotalMicroseconds, SelectMode.SelectRead);

    /// <summary>True when the server closed the connection (read returns end of stream or an error) within 5 s.</summary>
    public bool IsClosedByServer()
    {
        try
        {
            var buffer = new byte[4096];
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < deadline)
            {
                if (!_socket.Poll(100_000, SelectMode.SelectRead)) continue;
                if (_stream.Read(buffer) == 0) return true;
            }
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private void ReadRaw(RfbRectangle r)
    {
        int size = Format.BytesPerPixel;
        var data = new byte[r.Width * r.Height * size];
        _stream.ReadExactly(data);
        LastUpdateBytes += data.Length;
        for (int y = 0; y < r.Height; y++)
            for (int x = 0; x < r.Width; x++)
                Frame[(r.Y + y) * Width + r.X + x] = Format.ToRgb(ReadPixel(data.AsSpan((y * r.Width + x) * size), size));
    }

    private uint ReadPixel(ReadOnlySpan<byte> bytes, int size) => size switch
    {
        1 => bytes[0],
        2 => Format.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        3 => Compact(bytes),
        _ => Format.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes),
    };

    private uint Compact(ReadOnlySpan<byte> bytes)
    {
        uint three = Format.BigEndian ? (uint)(bytes[0] << 16 | bytes[1] << 8 | bytes[2]) : (uint)(bytes[2] << 16 | bytes[1] << 8 | bytes[0]);
        return Format.CompactHigh ? three << 8 : three;
    }

    /// <summary>§7.7.6, decoded independently of the server's encoder.</summary>
    private void ReadZrle(RfbRectangle r)
    {
        var compressed = new byte[ReadU32()];
        _stream.ReadExactly(compressed);
        LastUpdateBytes += 4 + compressed.Length;
        _zrleInput.Add(compressed);
        int cpixel = Format.CompactSize;
        var one = new byte[4];
        uint CPixel()
        {
            _inflater.ReadExactly(one.AsSpan(0, cpixel));
            return Format.ToRgb(ReadPixel(one, cpixel));
        }
        int Byte()
        {
            _inflater.ReadExactly(one.AsSpan(0, 1));
            return one[0];
        }
        int RunLength()
        {
            int length = 1, b;
            do
            {
                b = Byte();
                length += b;
            } while (b == 255);
            return length;
        }
        for (int ty = r.Y; ty < r.Y + r.Height; ty += 64)
        {
            for (int tx = r.X; tx < r.X + r.Width; tx += 64)
            {
                int tw = Math.Min(64, r.X + r.Width - tx), th = Math.Min(64, r.Y + r.Height - ty);
                var tile = new uint[tw * th];
                int sub = Byte();
                if (sub == 0) for (int i = 0; i < tile.Length; i++) tile[i] = CPixel();
                else if (sub == 1) Array.Fill(tile, CPixel());
                else if (sub <= 16)
                {
                    var palette = Enumerable.Range(0, sub).Select(_ => CPixel()).ToArray();
                    int bits = sub == 2 ? 1 : sub <= 4 ? 2 : 4;
                    for (int y = 0; y < th; y++)
                    {
                        int current = 0, left = 0;
                        for (int x = 0; x < tw; x++)
                        {
                            if (left == 0)
                            {
                                current = Byte();
                                left = 8;
                            }
                            left -= bits;
                            tile[y * tw + x] = palette[(current >> left) & ((1 << bits) - 1)];
                        }
                    }
                }
                else if (sub == 128)
                {
                    for (int i = 0; i < tile.Length;)
                    {
                        uint colour = CPixel();
                        int run = RunLength();
                        for (int k = 0; k < run; k++) tile[i++] = colour;
                    }
                }
                else if (sub >= 130)
                {
                    var palette = Enumerable.Range(0, sub - 128).Select(_ => CPixel()).ToArray();
                    for (int i = 0; i < tile.Length;)
                    {
                        int index = Byte();
                        int run = (index & 0x80) != 0 ? RunLength() : 1;
                        for (int k = 0; k < run; k++) tile[i++] = palette[index & 0x7f];
                    }
                }
                else throw new InvalidDataException($"ZRLE subencoding {sub} is unused by the RFC");
                for (int y = 0; y < th; y++)
                    for (int x = 0; x < tw; x++)
                        Frame[(ty + y) * Width + tx + x] = tile[y * tw + x];
            }
        }
    }

    private void ReadCursor(RfbRectangle r)
    {
        int size = Format.BytesPerPixel;
        var data = new byte[r.Width * r.Height * size];
        _stream.ReadExactly(data);
        var mask = new byte[(r.Width + 7) / 8 * r.Height];
        _stream.ReadExactly(mask);
        var pixels = Enumerable.Range(0, r.Width * r.Height).Select(i => Format.ToRgb(ReadPixel(data.AsSpan(i * size), size))).ToArray();
        Cursor = (r.X, r.Y, r.Width, r.Height, pixels, mask);
    }

    private uint ReadU32()
    {

        Span<byte> word = stackalloc byte[4];
        _stream.ReadExactly(word);
        return BinaryPrimitives.ReadUInt32BigEndian(word);
    }

    private int ReadU16()
    {
        Span<byte> word = stackalloc byte[2];
        _stream.ReadExactly(word);
        return BinaryPrimitives.ReadUInt16BigEndian(word);
    }

    private string ReadReason()
    {
        var text = new byte[ReadU32()];
        _stream.ReadExactly(text);
        return Encoding.ASCII.GetString(text);
    }

    public void Dispose()
    {
        _inflater.Dispose();
        _stream.Dispose();
    }

    /// <summary>The ZRLE rectangles' bytes, one after another, as the one zlib stream the RFC makes of them.</summary>
    private sealed class ChunkStream : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Add(byte[] chunk)
        {
            if (chunk.Length > 0) _chunks.Enqueue(chunk);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_chunks.Count == 0) return 0;
            var chunk = _chunks.Peek();
            int n = Math.Min(buffer.Length, chunk.Length - _offset);
            chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_offset == chunk.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
