using Glue.Core.Devices;
using Glue.Core.Interop;

namespace Glue.Display.Vnc;

/// <summary>
/// `password-file=PATH`: the password is the file's first line (without its line end), as bytes: RFC 6143 §7.2.2
/// has no text encoding. VNC Authentication uses at most 8 bytes, so a longer one is refused rather than silently
/// cut. The file must be a regular file (<see cref="RegularFile"/>) of at most <see cref="MaxFileBytes"/>, checked
/// before a byte is read.
/// </summary>
internal static class VncPasswordFile
{
    /// <summary>Room for the password line and a comment or two; anything larger is not a password file.</summary>
    public const int MaxFileBytes = 1024;

    public static byte[] Read(string path)
    {
        using var file = RegularFile.Open(path, out var status, out string? problem) ?? throw Bad(path, Fix(problem!));
        if (status.Size > MaxFileBytes) throw Bad(path, $"the file is {status.Size} bytes; a password file holds the password on its first line and is at most {MaxFileBytes} bytes");
        Span<byte> contents = stackalloc byte[(int)status.Size];
        if (RegularFile.Read(file, contents) is { } failure) throw Bad(path, failure);
        int end = contents.IndexOfAny((byte)'\r', (byte)'\n');
        var password = end < 0 ? contents : contents[..end];
        if (password.Length == 0) throw Bad(path, "the password is empty: put it on the file's first line");
        if (password.Length > VncAuthentication.MaxPasswordLength)
            throw Bad(path, $"VNC passwords are at most {VncAuthentication.MaxPasswordLength} bytes; this one is {password.Length}");
        return password.ToArray();
    }

    private static string Fix(string problem) => problem == "no such file" ? "no such file: create it with the password on its first line" : problem;

    private static DeviceConfigException Bad(string path, string problem) => new($"--vnc password-file={path}: {problem}");
}
