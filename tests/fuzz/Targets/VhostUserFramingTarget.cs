using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Transports.VhostUser;

namespace Glue.Fuzz.Targets;

/// <summary>
/// Bytes a frontend writes on the vhost-user socket, framed by <see cref="MessageSocket"/>: headers, versions,
/// sizes, payloads, and up to 10 fds on the first write (the first input byte says how many). A message that
/// cannot be framed ends the connection (<see cref="VhostUserDisconnect"/>): that is a refusal, not a finding.
/// </summary>
internal static unsafe partial class VhostUserFramingTarget
{
    private static readonly Glue.Virtio.Events.EventFd Spare = new();

    public static void Run(byte[] data)
    {
        var input = new FuzzInput(data);
        int fdCount = input.Byte() % 11;
        // Within one socket buffer, so the write never waits for the reader.
        var bytes = input.Rest()[..Math.Min(input.Remaining, 0x10000)].ToArray();
        int* pair = stackalloc int[2];
        if (SocketLibc.SocketPair(SocketLibc.AF_UNIX, SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC, 0, pair) != 0)
            throw NativeError.FromLastError("socketpair");
        using var frontend = new MessageSocket(new SafeFd(pair[0]), null);
        using var backend = new MessageSocket(new SafeFd(pair[1]), null);
        if (bytes.Length > 0)
        {
            var fds = Enumerable.Repeat(Spare.Handle.Fd, fdCount).ToArray();
            frontend.SendRaw(bytes, fds);
        }
        Shutdown(pair[0], 1);   // SHUT_WR: the backend reads the bytes, then the end of the stream
        try
        {
            while (backend.Receive() is { } message) message.Dispose();
        }
        catch (VhostUserDisconnect)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int Shutdown(int fd, int how);
}
