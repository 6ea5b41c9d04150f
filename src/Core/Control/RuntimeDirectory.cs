using System.Text.RegularExpressions;
using Glue.Core.Interop;

namespace Glue.Core.Control;

/// <summary>
/// Where each VM's control socket lives: $XDG_RUNTIME_DIR/glue/NAME.sock, else ~/.glue/NAME.sock. The
/// directory is private to the user (0700), as is each socket (0600). Every way it can be unusable (no HOME,
/// a file in its place, another user's directory) is a <see cref="RuntimeDirectoryException"/> that says
/// which variable to set.
/// </summary>
public static partial class RuntimeDirectory
{
    public const string SocketSuffix = ".sock";

    /// <summary>The rule <see cref="IsValidName"/> checks, for error messages.</summary>
    public const string NameRule = "1 to 64 letters, digits, '.', '_' and '-', not starting with '.'";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string Path
    {
        get
        {
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (!string.IsNullOrEmpty(runtime))
            {
                if (!System.IO.Path.IsPathRooted(runtime))
                    throw new RuntimeDirectoryException($"XDG_RUNTIME_DIR ({runtime}) is not an absolute path; set it to a directory of your own");
                return System.IO.Path.Combine(runtime, "glue");
            }
            string home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } set
                ? set
                : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(home) || !System.IO.Path.IsPathRooted(home))
                throw new RuntimeDirectoryException("neither XDG_RUNTIME_DIR nor HOME is set: set XDG_RUNTIME_DIR to a directory of your own");
            return System.IO.Path.Combine(home, ".glue");
        }
    }

    /// <summary>Creates the directory (0700) if needed; returns it.</summary>
    public static string Create()
    {
        string path = Path;
        try
        {
            Directory.CreateDirectory(path, Private);
            File.SetUnixFileMode(path, Private);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeDirectoryException(Unusable(path, e));
        }
        return path;
    }

    public static string SocketPath(string name) => System.IO.Path.Combine(Path, name + SocketSuffix);

    /// <summary>Names become file names: <see cref="NameRule"/>.</summary>
    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    /// <summary>The names of every VM socket in the directory (live or stale); none when it does not exist yet.</summary>
    public static IReadOnlyList<string> SocketNames()
    {
        string path = Path;
        try
        {
            if (!Directory.Exists(path))
            {
                int errno = FileStatus.Of(path, out _);
                // Nothing there yet is no VM; a file there, or on the way to it, is a runtime directory that cannot be.
                if (errno == 0 || errno == ENOTDIR) throw new IOException("not a directory");
                return [];
            }
            return Directory.EnumerateFiles(path, "*" + SocketSuffix)
                .Select(f => System.IO.Path.GetFileName(f)[..^SocketSuffix.Length])
                .Where(IsValidName)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeDirectoryException(Unusable(path, e));
        }
    }

    private const int ENOTDIR = 20;

    private static string Unusable(string path, Exception e)
    {
        string reason = e is UnauthorizedAccessException ? "permission denied" : NotADirectory(path) ?? e.Message.TrimEnd('.');
        string variable = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"))
            ? "set XDG_RUNTIME_DIR to a directory of your own (HOME is used when it is unset)"
            : "set XDG_RUNTIME_DIR to a directory of your own";
        return $"cannot use the runtime directory {path}: {reason}; {variable}";
    }

    /// <summary>"X is a regular file, not a directory" for the path, or the first of its parents that is not a directory.</summary>
    private static string? NotADirectory(string path)
    {
        for (string? at = path; !string.IsNullOrEmpty(at); at = System.IO.Path.GetDirectoryName(at))
        {
            if (FileStatus.Of(at, out var status) == 0)
                return status.Kind == FileKind.Directory ? null : at == path ? $"it is {status.KindText}, not a directory" : $"{at} is {status.KindText}, not a directory";
        }
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ValidName();
}

/// <summary>The runtime directory cannot be used; the message says why and what to set.</summary>
public sealed class RuntimeDirectoryException(string message) : Exception(message);
