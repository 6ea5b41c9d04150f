using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Core.Terminal;

/// <summary>
/// The guest console's output to this process's stdout or stderr, written with write(2) itself. .NET's console
/// stream drops EPIPE silently, so `glue run ... | head -3` would run on after its reader is gone; here a
/// reader that went away (EPIPE) calls <c>onClosed</c> once, which ends the VM as `glue stop` would, as QEMU's
/// stdio backend ends with its output. Writes after that are dropped, as are all of them when the stream was
/// closed before glue started (<see cref="StandardStream.IsInherited"/>).
/// </summary>
public sealed class HostOutput : Stream
{
    public const int Stdout = StandardStream.Stdout, Stderr = StandardStream.Stderr;
    private const int EPIPE = 32;

    private readonly int _fd;
    private readonly Action? _onClosed;
    private int _closed;

    public HostOutput(int fd, Action? onClosed)
    {
        _fd = fd;
        _onClosed = onClosed;
        _closed = StandardStream.IsInherited(fd) ? 0 : 1;
    }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0 && Volatile.Read(ref _closed) == 0)
        {
            nint written;
            fixed (byte* p = buffer) written = Libc.Write(_fd, p, (nuint)buffer.Length);
            if (written >= 0)
            {
                buffer = buffer[(int)written..];
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN)
            {
                Thread.Sleep(1); // a non-blocking terminal that is full: wait for it to drain
                continue;
            }
            if (Interlocked.Exchange(ref _closed, 1) == 0 && errno == EPIPE) _onClosed?.Invoke();
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
