using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Devices.Net;

namespace Glue.Fuzz.Targets;

/// <summary>
/// virtio-net on a TAP that is one end of a SOCK_SEQPACKET pair: transmit chains (virtio_net_hdr and frame)
/// reach the other end, which the harness drains after each input; receive buffers wait for frames.
/// </summary>
internal static partial class NetTarget
{
    private const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private static readonly int[] Pair = new int[2];
    private static readonly byte[] Frame = new byte[70000];

    private static readonly DeviceHarness Harness = new("net", _ =>
    {
        if (SocketPair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, Pair) != 0) throw NativeError.FromLastError("socketpair");
        MacAddress.TryParse("52:54:00:12:34:56", out var mac);
        return new VirtioNetDevice(new Tap(new SafeFd(Pair[0]), "fuzz0"), mac);
    }, DrainHost);

    public static void Run(byte[] data) => Harness.Run(data);

    private static unsafe void DrainHost()
    {
        fixed (byte* frame = Frame)
        {
            while (Libc.Read(Pair[1], frame, (nuint)Frame.Length) > 0) { }
        }
    }

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int[] fds);
}
