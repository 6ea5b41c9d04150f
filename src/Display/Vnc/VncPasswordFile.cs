using System.Text;
using Glue.Core.Devices;

namespace Glue.Display.Vnc;

/// <summary>
/// `password-file=PATH`: the password is the file's first line (without its line end). VNC Authentication uses at
/// most its first 8 bytes (RFC 6143 §7.2.2), so a longer one is refused rather than silently cut.
/// </summary>
internal static class VncPasswordFile
{
    public static byte[] Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DeviceConfigException($"--vnc password file {path} does not exist: create it with the password on its first line");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeviceConfigException($"--vnc password file {path} cannot be read: {e.Message}");
        }
        int end = text.IndexOfAny(['\r', '\n']);
        var password = Encoding.UTF8.GetBytes(end < 0 ? text : text[..end]);
        if (password.Length == 0) throw new DeviceConfigException($"--vnc password file {path} is empty: put the password on its first line");
        if (password.Length > VncAuthentication.MaxPasswordLength)
            throw new DeviceConfigException($"--vnc password file {path}: VNC passwords are at most {VncAuthentication.MaxPasswordLength} bytes; this one is {password.Length}");
        return password;
    }
}
