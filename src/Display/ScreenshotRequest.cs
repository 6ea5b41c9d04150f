using System.Text;
using Glue.Core.Control;
using Glue.Display.Png;

namespace Glue.Display;

/// <summary>
/// The SCREENSHOT control request (docs/control-protocol.md): its payload is the absolute path of a PNG file to
/// write, and the VM process writes it, as QEMU's screendump does, since a reply holds at most 4096 bytes. The file
/// appears whole or not at all: it is written beside its place under a temporary name and renamed.
/// </summary>
public static class ScreenshotRequest
{
    public const ushort Type = 5;

    /// <summary>Answers a SCREENSHOT of <paramref name="surface"/>: OK with "WIDTHxHEIGHT", or REFUSED with the reason.</summary>
    public static ControlReply Handle(DisplaySurface surface, ReadOnlySpan<byte> payload)
    {
        string path;
        try
        {
            path = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return Refuse("the screenshot path is not UTF-8");
        }
        if (path.Length == 0 || path.Contains('\0') || !Path.IsPathFullyQualified(path)) return Refuse($"the screenshot path '{path}' is not an absolute path");

        uint[] pixels;
        int width, height;
        lock (surface.Lock)
        {
            width = surface.Width;
            height = surface.Height;
            pixels = surface.Pixels.ToArray();
        }
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                PngEncoder.Write(file, pixels, width, height);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            string directory = Path.GetDirectoryName(path) ?? "/";
            return Refuse(e switch
            {
                DirectoryNotFoundException => $"cannot write {path}: directory {directory} does not exist: create it or give a path in one that does",
                UnauthorizedAccessException => $"cannot write {path}: permission denied: give a path in a directory you may write",
                _ when Directory.Exists(path) => $"cannot write {path}: it is a directory: give a file name",
                _ => $"cannot write {path}: {e.Message}",
            });
        }
        return new ControlReply(ControlStatus.Ok, Encoding.UTF8.GetBytes($"{width}x{height}"));
    }

    private static ControlReply Refuse(string reason)
    {
        var message = Encoding.UTF8.GetBytes(reason);
        return new ControlReply(ControlStatus.Refused, message.Length <= ControlProtocol.MaxPayload ? message : message[..ControlProtocol.MaxPayload]);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was created, or it cannot be reached: either way nothing to clean.
        }
    }
}
