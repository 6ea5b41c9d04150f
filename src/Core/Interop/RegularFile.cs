using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Interop;

/// <summary>
/// A file an option names, opened to be read whole: it must be a regular file (a FIFO's open waits for a writer,
/// /dev/zero never ends), asked by stat before the open, and opened O_NONBLOCK and asked again by fstat, so a path
/// swapped for a FIFO between the two cannot block Glue either (and so nothing here can hold up a SIGTERM). Problems
/// come back in Glue's words ("no such file", "is a FIFO; it must be a regular file"), for the caller to put after
/// the option and the path.
/// </summary>
public static class RegularFile
{
    /// <summary>The file open for reading with its status, or null and the <paramref name="problem"/>.</summary>
    public static SafeFileHandle? Open(string path, out FileStatus status, out string? problem)
    {
        if (Problem(FileStatus.Of(path, out status), status) is { } before)
        {
            problem = before;
            return null;
        }
        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            problem = FileStatus.Reason(Marshal.GetLastPInvokeError());
            return null;
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        problem = Problem(FileStatus.Of(file, out status), status);
        if (problem is null) return file;
        file.Dispose();
        return null;
    }

    /// <summary>Fills <paramref name="contents"/> from the start of the file; the problem, or null when all of it was read.</summary>
    public static string? Read(SafeFileHandle file, Span<byte> contents)
    {
        int done = 0;
        while (done < contents.Length)
        {
            int read;
            try
            {
                read = RandomAccess.Read(file, contents[done..], done);
            }
            catch (IOException e)
            {
                return $"cannot read it: {e.Message}";
            }
            if (read == 0) return $"it shrank from {contents.Length} to {done} bytes while Glue read it";
            done += read;
        }
        return null;
    }

    private static string? Problem(int errno, FileStatus status) =>
        errno != 0 ? FileStatus.Reason(errno) : status.Kind != FileKind.Regular ? $"is {status.KindText}; it must be a regular file" : null;
}
