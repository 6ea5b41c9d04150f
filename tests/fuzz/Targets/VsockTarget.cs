using System.Net.Sockets;
using Glue.Devices.Vsock;

namespace Glue.Fuzz.Targets;

/// <summary>
/// virtio-vsock with guest CID 3 and its Unix sockets in a private directory: packets on the tx queue
/// (REQUEST, RW within and beyond credit, CREDIT_*, SHUTDOWN, RST, nonsense), answers into rx buffers. Host
/// port 1024 listens, so a guest REQUEST to it connects; the harness accepts and closes those after each input.
/// </summary>
internal static class VsockTarget
{
    public const uint ListeningPort = 1024;
    private static readonly string Directory = System.IO.Directory.CreateTempSubdirectory("glue-fuzz-vsock-").FullName;
    private static Socket? _portListener;

    private static readonly DeviceHarness Harness = new("vsock", _ =>
    {
        string uds = Path.Combine(Directory, "v.sock");
        var listener = Listen(uds);
        _portListener = Listen($"{uds}_{ListeningPort}");
        _portListener.Blocking = false;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(Directory, recursive: true);
        return new VsockDevice(3, uds, listener, null);
    }, AcceptAndClose);

    public static void Run(byte[] data) => Harness.Run(data);

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(64);
        return socket;
    }

    private static void AcceptAndClose()
    {
        while (true)
        {
            try
            {
                _portListener!.Accept().Dispose();
            }
            catch (SocketException)
            {
                return;
            }
        }
    }
}
