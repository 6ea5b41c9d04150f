using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Glue.BuildTests;

/// <summary>
/// A small hand-written vhost-user frontend for testing a published `glue device` with what QEMU would never
/// send: raw bytes, requests with wrong fds or addresses. Messages are the protocol's 12-byte header (request,
/// flags with version 1, size) and a payload; fds go as SCM_RIGHTS.
/// </summary>
public sealed unsafe partial class VhostUserFrontend : IDisposable
{
    public const uint GetFeatures = 1, SetMemTable = 5, SetVringAddr = 9, SetProtocolFeatures = 16;
    public const uint Version = 1, NeedReply = 1 << 3;
    public const ulong ReplyAck = 1 << 3;

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    public VhostUserFrontend(string path)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _socket.ReceiveTimeout = 10_000;
    }

    public void SendRaw(byte[] bytes) => _socket.Send(bytes);

    public void Send(uint request, byte[] payload, bool needReply = false, int fd = -1)
    {
        var bytes = new byte[12 + payload.Length];
        BitConverter.TryWriteBytes(bytes, request);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), Version | (needReply ? NeedReply : 0));
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(bytes, 12);
        if (fd < 0)
        {
            _socket.Send(bytes);
            return;
        }
        // One fd as SCM_RIGHTS: cmsghdr (len, level SOL_SOCKET, type SCM_RIGHTS) and the int, padded to 8.
        var control = stackalloc byte[24];
        *(ulong*)control = 20;
        *(int*)(control + 8) = 1;
        *(int*)(control + 12) = 1;
        *(int*)(control + 16) = fd;
        fixed (byte* start = bytes)
        {
            var iov = stackalloc nuint[2];
            iov[0] = (nuint)start;
            iov[1] = (nuint)bytes.Length;
            var message = stackalloc byte[56];
            new Span<byte>(message, 56).Clear();
            *(nuint*)(message + 16) = (nuint)iov;      // msg_iov
            *(nuint*)(message + 24) = 1;               // msg_iovlen
            *(nuint*)(message + 32) = (nuint)control;  // msg_control
            *(nuint*)(message + 40) = 24;              // msg_controllen
            if (SendMsg((int)_socket.Handle, message, 0) != bytes.Length) throw new IOException($"sendmsg: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A request with NEED_REPLY; the REPLY_ACK's u64 (0 for success).</summary>
    public ulong Ack(uint request, byte[] payload, int fd = -1)
    {
        Send(request, payload, needReply: true, fd);
        var reply = ReadReply();
        return BitConverter.ToUInt64(reply ?? throw new IOException("the backend closed the connection instead of answering"));
    }

    /// <summary>The next reply's payload, or null when the backend closed the connection.</summary>
    public byte[]? ReadReply()
    {
        var header = new byte[12];
        if (!ReadExactly(header)) return null;
        var payload = new byte[BitConverter.ToUInt32(header, 8)];
        return ReadExactly(payload) ? payload : null;
    }

    /// <summary>True when the backend closed the connection (a read sees its end or a reset) within the timeout.</summary>
    public bool IsClosedByBackend()
    {
        try
        {
            return _socket.Receive(new byte[64]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private bool ReadExactly(byte[] buffer)
    {
        int done = 0;
        try
        {
            while (done < buffer.Length)
            {
                int n = _socket.Receive(buffer, done, buffer.Length - done, SocketFlags.None);
                if (n == 0) return false;
                done += n;
            }
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return false;
        }
    }

    public static byte[] U64(ulong value) => BitConverter.GetBytes(value);

    /// <summary>A memory table of one region: guest address 0, <paramref name="size"/> bytes, at frontend user address <paramref name="user"/>.</summary>
    public static byte[] MemTable(ulong size, ulong user)
    {
        var bytes = new byte[8 + 32];
        BitConverter.TryWriteBytes(bytes, 1u);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), size);
        BitConverter.TryWriteBytes(bytes.AsSpan(24), user);
        return bytes;
    }

    /// <summary>struct vhost_vring_addr for ring 0 with the three areas at the given user addresses.</summary>
    public static byte[] VringAddr(ulong desc, ulong used, ulong avail)
    {
        var bytes = new byte[40];
        BitConverter.TryWriteBytes(bytes.AsSpan(8), desc);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), used);
        BitConverter.TryWriteBytes(bytes.AsSpan(24), avail);
        return bytes;
    }

    /// <summary>A memfd of <paramref name="size"/> bytes, sealed against resizing as QEMU's memory-backend-memfd makes guest RAM.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle MemFd(long size)
    {
        const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
        const int F_ADD_SEALS = 1033, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4;
        int fd = MemfdCreate("glue-test-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0 || Ftruncate(fd, size) != 0 || Fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
            throw new IOException($"memfd: errno {Marshal.GetLastPInvokeError()}");
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    public void Dispose() => _socket.Dispose();

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, byte* message, int flags);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
