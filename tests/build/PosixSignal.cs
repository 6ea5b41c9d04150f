using System.Runtime.InteropServices;

namespace Glue.BuildTests;

/// <summary>kill(2) for the tests that signal glue the way a user or a service manager would.</summary>
public static partial class PosixSignal
{
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; a process already gone is not an error here.</summary>
    public static void Send(int pid, int signal) => Kill(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
