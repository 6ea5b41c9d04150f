using System.Net.Sockets;
using System.Text;

namespace Glue.Core.Interop;

/// <summary>
/// What a path must be for Glue to bind a Unix socket there: not empty, short enough for sockaddr_un, and in
/// a directory that exists. Checked before binding, so the user gets the reason rather than .NET's exception.
/// </summary>
public static class UnixSocketPath
{
    /// <summary>sun_path holds 108 bytes with the terminating NUL (sys/un.h, unix(7)).</summary>
    public const int MaxBytes = 107;

    /// <summary>
    /// Why <paramref name="path"/> cannot be a socket given as <paramref name="option"/>, or null when it can.
    /// <paramref name="suffixBytes"/> reserves room for names made from it (vsock's PATH_PORT).
    /// </summary>
    public static string? Problem(string path, string option, int suffixBytes = 0)
    {
        if (path.Length == 0) return $"{option}: the path is empty; give the path of a socket to create";
        return Reason(path, suffixBytes) is { } reason ? $"{option} {path}: {reason}" : null;
    }

    /// <summary>The reason alone, for an option that names the path its own way (`--vnc unix:PATH`); the path is not empty.</summary>
    public static string? Reason(string path, int suffixBytes = 0)
    {
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes + suffixBytes > MaxBytes)
        {
            string room = suffixBytes == 0 ? "" : $" with {suffixBytes} bytes to spare";
            return $"the path is {bytes} bytes; a Unix socket path must fit in {MaxBytes}{room}: use a shorter one";
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        if (!Directory.Exists(directory)) return $"directory {directory} does not exist: create it or give a path in one that does";
        if (Directory.Exists(path)) return "is a directory";
        return null;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a Unix socket that refuses connections: one left behind by a Glue that was
    /// killed, safe to replace. Asked by lstat, never by opening it: an open of a FIFO there would wait for a writer.
    /// </summary>
    public static bool IsStale(string path)
    {
        if (FileStatus.OfLink(path, out var status) != 0 || status.Kind != FileKind.Socket) return false;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused;
        }
    }
}
