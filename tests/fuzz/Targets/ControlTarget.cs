using System.Net.Sockets;
using Glue.Core.Control;

namespace Glue.Fuzz.Targets;

/// <summary>
/// Bytes on a control socket, read as <see cref="ControlProtocol"/> messages until the stream ends; each
/// payload is also parsed as a status reply, as `glue list` parses what a (possibly hostile) VM answers. A
/// malformed reply is an <see cref="IOException"/>: a refusal.
/// </summary>
internal static partial class ControlTarget
{
    private const int MaxInput = 0x10000;

    public static void Run(byte[] data)
    {
        var (reader, writer) = Pair();
        using (reader)
        {
            using (writer)
            {
                // Within one socket buffer, so the write never waits for the reader.
                writer.Send(data.AsSpan(0, Math.Min(data.Length, MaxInput)));
                writer.Shutdown(SocketShutdown.Send);
                while (ControlProtocol.Receive(reader) is { } message)
                {
                    try
                    {
                        ControlClient.ParseStatus(message.Payload);
                    }
                    catch (IOException)
                    {
                    }
                }
            }
        }
    }

    private static (Socket, Socket) Pair()
    {
        var fds = new int[2];
        if (SocketPair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */ | 0x80000 /* SOCK_CLOEXEC */, 0, fds) != 0)
            throw new IOException("socketpair failed");
        return (new Socket(new SafeSocketHandle(fds[0], true)), new Socket(new SafeSocketHandle(fds[1], true)));
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int[] fds);
}
