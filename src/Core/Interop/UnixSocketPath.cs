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
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes + suffixBytes > MaxBytes)
        {
            string room = suffixBytes == 0 ? "" : $" with {suffixBytes} bytes to spare";
            return $"{option} {path}: the path is {bytes} bytes; a Unix socket path must fit in {MaxBytes}{room}: use a shorter one";
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        if (!Directory.Exists(directory)) return $"{option} {path}: directory {directory} does not exist";
        if (Directory.Exists(path)) return $"{option} {path}: is a directory";
        return null;
    }
}
