using System.Text.RegularExpressions;

namespace Glue.Core.Control;

/// <summary>
/// Where each VM's control socket lives: $XDG_RUNTIME_DIR/glue/NAME.sock, else ~/.glue/NAME.sock. The
/// directory is private to the user (0700), as is each socket (0600).
/// </summary>
public static partial class RuntimeDirectory
{
    public const string SocketSuffix = ".sock";

    public static string Path
    {
        get
        {
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return string.IsNullOrEmpty(runtime)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".glue")
                : System.IO.Path.Combine(runtime, "glue");
        }
    }

    public static string Create()
    {
        string path = Path;
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public static string SocketPath(string name) => System.IO.Path.Combine(Path, name + SocketSuffix);

    /// <summary>Names become file names: letters, digits, '.', '_' and '-', not starting with '.', at most 64.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    /// <summary>The names of every VM socket in the directory (live or stale).</summary>
    public static IEnumerable<string> SocketNames() =>
        Directory.Exists(Path)
            ? Directory.EnumerateFiles(Path, "*" + SocketSuffix).Select(f => System.IO.Path.GetFileName(f)[..^SocketSuffix.Length]).Order(StringComparer.Ordinal)
            : [];

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}
