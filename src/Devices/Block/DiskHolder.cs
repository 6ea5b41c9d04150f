using System.Text;
using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block;

/// <summary>
/// Who else has a disk image open, for the error when its lock is refused: an OFD lock has no owner pid
/// (F_OFD_GETLK says -1), so the processes this user may look at are searched for a descriptor of the same
/// file. A glue holder is named by its VM name (its -n, else guest-PID, as `glue list` shows it), anything
/// else by its command name.
/// </summary>
internal static class DiskHolder
{
    public static string? Describe(SafeFileHandle file)
    {
        if (FileStatus.Of(file, out var image) != 0) return null;
        int self = Environment.ProcessId;
        string own = ((int)file.DangerousGetHandle()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string process in SafeList("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out int pid)) continue;
            foreach (string fd in SafeList(Path.Combine(process, "fd")))
            {
                if (pid == self && Path.GetFileName(fd) == own) continue;
                if (FileStatus.Of(fd, out var other) == 0 && other.Device == image.Device && other.Inode == image.Inode)
                    return pid == self ? "this VM (the image is given twice)" : Name(pid);
            }
        }
        return null;
    }

    /// <summary>"VM 'web' (pid 42)", "glue device blk (pid 42)" or "process 42 (qemu-system-x86)".</summary>
    private static string Name(int pid)
    {
        string[] args = Read($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        int command = Array.FindIndex(args, 1, a => a is "run" or "device");
        if (args.Length > 0 && Path.GetFileName(args[0]) == "glue" && command > 0)
        {
            if (args[command] == "device") return $"glue device {(command + 1 < args.Length ? args[command + 1] : "")} (pid {pid})".Replace("  ", " ");
            string name = $"guest-{pid}";
            for (int i = command + 1; i < args.Length; i++)
            {
                if (args[i] is "-n" or "--name" && i + 1 < args.Length) name = args[i + 1];
                else if (args[i].StartsWith("--name=", StringComparison.Ordinal)) name = args[i]["--name=".Length..];
            }
            return $"VM '{name}' (pid {pid})";
        }
        return $"process {pid} ({Read($"/proc/{pid}/comm").Trim()})";
    }

    private static string Read(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>A directory's entries, or none when it cannot be read (another user's process, one that just ended).</summary>
    private static IEnumerable<string> SafeList(string directory)
    {
        try
        {
            return Directory.GetFileSystemEntries(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
