using System.Runtime.InteropServices;

namespace Glue.Core.Sandbox;

/// <summary>The calls that install filters and change credentials. Each returns -1 and sets errno on failure.</summary>
internal static unsafe partial class SeccompLibc
{
    /// <summary>linux/prctl.h.</summary>
    public const int PR_SET_NO_NEW_PRIVS = 38;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>struct sock_fprog (linux/filter.h): unsigned short len, then the instructions' address.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort len;
        public BpfInstruction* filter;
    }

    /// <summary>seccomp(2) has no glibc wrapper: syscall(SYS_seccomp, operation, flags, args). TSYNC needs it (prctl cannot).</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nuint operation, nuint flags, void* args);

    // glibc's set*id calls change every thread of the process (its SIGSETXID broadcast): a raw system call would
    // change only the caller's, and leave the device and vCPU threads root.
    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    public static partial int SetGroups(nuint size, uint* list);

    [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
    public static partial int SetResGid(uint real, uint effective, uint saved);

    [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
    public static partial int SetResUid(uint real, uint effective, uint saved);

    // For the SIGSYS handler, which must not touch errno's managed copy: plain, async-signal-safe calls.
    [LibraryImport("libc", EntryPoint = "write")]
    public static partial nint RawWrite(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "_exit")]
    public static partial void Exit(int status);
}
