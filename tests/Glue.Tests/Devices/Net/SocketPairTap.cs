using System.Net.Sockets;
using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Devices.Net;

namespace Glue.Tests.Devices.Net;

/// <summary>
/// A stand-in for a TAP: a SOCK_SEQPACKET socket pair keeps frame boundaries the way a TAP fd does (one
/// read, one frame). The device gets one end as its <see cref="Tap"/>; the test plays the host on the other.
/// </summary>
internal sealed partial class SocketPairTap : IDisposable
{
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int SOCK_NONBLOCK = 0x800;
    private const int SOCK_CLOEXEC = 0x80000;

    public SocketPairTap()
    {
        var fds = new int[2];
        if (SocketPair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
            throw NativeError.FromLastError("socketpair");
        Tap = new Tap(new SafeFd(fds[0]), "pair0");
        Host = new Socket(new SafeSocketHandle(fds[1], ownsHandle: true)) { Blocking = true, ReceiveTimeout = 5000 };
    }

    public Tap Tap { get; }

    /// <summary>The host's end: what it sends the device reads as a frame from the TAP.</summary>
    public Socket Host { get; }

    /// <summary>True when a frame is waiting at the host's end within <paramref name="milliseconds"/>.</summary>
    public bool HostHasFrame(int milliseconds) => Host.Poll(milliseconds * 1000, SelectMode.SelectRead);

    public void Dispose()
    {
        Host.Dispose();
        Tap.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, [Out] int[] fds);
}
