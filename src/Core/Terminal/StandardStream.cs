using System.Runtime.InteropServices;

namespace Glue.Core.Terminal;

/// <summary>
/// stdin, stdout and stderr as glue was started with them. A stream closed by the shell (`>&-`, `2>&-`) leaves
/// its descriptor number free, and the .NET runtime takes it for a file of its own before Main (it opens
/// everything O_CLOEXEC, which an inherited stream never is): writing the guest's output or glue's messages
/// there would corrupt that file or crash. <see cref="Guard"/> therefore opens /dev/null on a number still free
/// and silences the console writers of one the runtime took, and <see cref="IsInherited"/> tells the devices.
/// </summary>
public static partial class StandardStream
{
    public const int Stdin = 0, Stdout = 1, Stderr = 2;
    private const int F_GETFD = 1, FD_CLOEXEC = 1, EBADF = 9, O_RDWR = 2;

    /// <summary>Called first thing in Main.</summary>
    public static void Guard()
    {
        for (int fd = Stdin; fd <= Stderr; fd++)
        {
            if (Fcntl(fd, F_GETFD) >= 0 || Marshal.GetLastPInvokeError() != EBADF) continue;
            int devNull = Open("/dev/null", O_RDWR);
            if (devNull < 0 || devNull == fd) continue;
            Dup2(devNull, fd);
            Close(devNull);
        }
        if (!IsInherited(Stdout)) Console.SetOut(TextWriter.Null);
        if (!IsInherited(Stderr)) Console.SetError(TextWriter.Null);
    }

    /// <summary>True when <paramref name="fd"/> is the stream glue was started with (or /dev/null in its place).</summary>
    public static bool IsInherited(int fd)
    {
        int flags = Fcntl(fd, F_GETFD);
        return flags >= 0 && (flags & FD_CLOEXEC) == 0;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
