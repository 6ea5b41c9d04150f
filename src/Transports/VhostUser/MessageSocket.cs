using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Core.Interop.Libc;
using static Glue.Transports.VhostUser.SocketLibc;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>A message as read: its header, its payload, and the fds that came with it (null once taken).</summary>
public sealed class VhostUserMessage(VhostUserHeader header, byte[] payload, SafeFd?[] fds) : IDisposable
{
    public VhostUserHeader Header { get; } = header;
    public uint Request => Header.Request;
    public byte[] Payload { get; } = payload;
    public SafeFd?[] Fds { get; } = fds;

    public bool NeedsReply => (Header.Flags & VHOST_USER_NEED_REPLY_MASK) != 0;

    /// <summary>Takes fd <paramref name="index"/>: the caller owns it from now on.</summary>
    public SafeFd? TakeFd(int index)
    {
        if (index >= Fds.Length) return null;
        var fd = Fds[index];
        Fds[index] = null;
        return fd;
    }

    /// <summary>Closes every fd nobody took.</summary>
    public void Dispose()
    {
        foreach (var fd in Fds) fd?.Dispose();
    }
}

/// <summary>Why a connection ended: the peer closed it, or sent what cannot be framed.</summary>
public sealed class VhostUserDisconnect(string reason) : Exception(reason);

/// <summary>
/// One end of a vhost-user Unix stream socket: messages in (header, payload, SCM_RIGHTS fds), replies out. Reads
/// block, but also wake for a stop eventfd so a signal can end the session. Anything that breaks the framing (a
/// short read, a header of another version, a size over <see cref="MaxPayloadSize"/>, more fds than
/// <see cref="MaxFds"/>) is a <see cref="VhostUserDisconnect"/>: after it, the stream cannot be trusted.
/// </summary>
public sealed unsafe class MessageSocket(SafeFd socket, SafeHandle? stop) : IDisposable
{
    private readonly SafeFd _socket = socket;

    public SafeFd Handle => _socket;

    /// <summary>The next message, or null when the peer closed the connection between messages or stop was signalled.</summary>
    public VhostUserMessage? Receive()
    {
        if (!WaitReadable()) return null;
        var header = new byte[HeaderSize];
        var fds = new List<SafeFd>();
        try
        {
            int got = ReceiveWithFds(header, fds);
            if (got == 0) return null;
            ReadExactly(header.AsSpan(got));
            var parsed = MemoryMarshal.Read<VhostUserHeader>(header);
            if ((parsed.Flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
                throw new VhostUserDisconnect($"message {parsed.Request} has version {parsed.Flags & VHOST_USER_VERSION_MASK}, not {VHOST_USER_VERSION}");
            if (parsed.Size > MaxPayloadSize)
                throw new VhostUserDisconnect($"message {parsed.Request} has a {parsed.Size}-byte payload (at most {MaxPayloadSize})");
            var payload = new byte[parsed.Size];
            ReadExactly(payload);
            var message = new VhostUserMessage(parsed, payload, [.. fds]);
            fds.Clear();
            return message;
        }
        finally
        {
            foreach (var fd in fds) fd.Dispose();
        }
    }

    /// <summary>Sends a reply to <paramref name="request"/>: the REPLY flag and <paramref name="payload"/>.</summary>
    public void Reply(uint request, ReadOnlySpan<byte> payload) =>
        Send(new VhostUserHeader(request, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, (uint)payload.Length), payload, []);

    /// <summary>Sends one message, with <paramref name="fds"/> as SCM_RIGHTS (a test frontend sends these).</summary>
    public void Send(VhostUserHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds)
    {
        var bytes = new byte[HeaderSize + payload.Length];
        MemoryMarshal.Write(bytes, header);
        payload.CopyTo(bytes.AsSpan(HeaderSize));
        SendRaw(bytes, fds);
    }

    /// <summary>Writes <paramref name="bytes"/> as they are (a test sends garbage this way), the fds with the first byte.</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds)
    {
        int controlLength = fds.Length == 0 ? 0 : CmsgSpace(fds.Length * sizeof(int));
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        new Span<byte>(control, Math.Max(controlLength, 1)).Clear();
        if (fds.Length > 0)
        {
            var cmsg = (CmsgHdr*)control;
            cmsg->Length = (nuint)(sizeof(CmsgHdr) + fds.Length * sizeof(int));
            cmsg->Level = SOL_SOCKET;
            cmsg->Type = SCM_RIGHTS;
            fds.CopyTo(new Span<int>(control + sizeof(CmsgHdr), fds.Length));
        }
        fixed (byte* start = bytes)
        {
            int sent = 0;
            bool first = true;
            while (sent < bytes.Length || first)
            {
                var iov = new IoVec { iov_base = start + sent, iov_len = (nuint)(bytes.Length - sent) };
                var message = new MsgHdr { Iov = &iov, IovLength = 1 };
                if (first && controlLength > 0)
                {
                    message.Control = control;
                    message.ControlLength = (nuint)controlLength;
                }
                nint n = SendMsg(_socket.Fd, &message, MSG_NOSIGNAL);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw new VhostUserDisconnect($"send failed: {new NativeError("sendmsg", errno).Message}");
                }
                sent += (int)n;
                first = false;
            }
        }
    }

    private bool WaitReadable()
    {
        try
        {
            return SocketLibc.WaitReadable(_socket, stop);
        }
        catch (NativeError e)
        {
            throw new VhostUserDisconnect(e.Message);
        }
    }

    /// <summary>The first read of a message: up to the header's bytes, and the fds that came with them.</summary>
    private int ReceiveWithFds(Span<byte> buffer, List<SafeFd> fds)
    {
        int controlLength = CmsgSpace(MaxFds * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var iov = new IoVec { iov_base = start, iov_len = (nuint)buffer.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                nint n = RecvMsg(_socket.Fd, &message, MSG_CMSG_CLOEXEC);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw new VhostUserDisconnect($"receive failed: {new NativeError("recvmsg", errno).Message}");
                }
                CollectFds(control, (int)message.ControlLength, fds);
                // The kernel closed the fds that did not fit: the sender sent more than any message carries.
                if ((message.Flags & MSG_CTRUNC) != 0) throw new VhostUserDisconnect($"a message came with more than {MaxFds} fds");
                return (int)n;
            }
        }
    }

    private static void CollectFds(byte* control, int length, List<SafeFd> fds)
    {
        int offset = 0;
        while (offset + sizeof(CmsgHdr) <= length)
        {
            var cmsg = (CmsgHdr*)(control + offset);
            int cmsgLength = (int)Math.Min(cmsg->Length, (nuint)(length - offset));
            if (cmsgLength < sizeof(CmsgHdr)) break;
            if (cmsg->Level == SOL_SOCKET && cmsg->Type == SCM_RIGHTS)
            {
                int count = (cmsgLength - sizeof(CmsgHdr)) / sizeof(int);
                for (int i = 0; i < count; i++) fds.Add(new SafeFd(((int*)(control + offset + sizeof(CmsgHdr)))[i]));
            }
            offset += CmsgAlign(cmsgLength);
        }
    }

    /// <summary>Reads the rest of a message; a connection that ends inside one breaks the framing.</summary>
    private void ReadExactly(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                if (!WaitReadable()) throw new VhostUserDisconnect("stopped");
                var iov = new IoVec { iov_base = start + done, iov_len = (nuint)(buffer.Length - done) };
                var message = new MsgHdr { Iov = &iov, IovLength = 1 };
                nint n = RecvMsg(_socket.Fd, &message, MSG_CMSG_CLOEXEC);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw new VhostUserDisconnect($"receive failed: {new NativeError("recvmsg", errno).Message}");
                }
                if (n == 0) throw new VhostUserDisconnect("the frontend closed the connection inside a message");
                done += (int)n;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
