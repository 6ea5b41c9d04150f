using System.Runtime.InteropServices;

namespace Glue.Core.Interop;

/// <summary>struct sigaction as glibc lays it out on x86_64, and sigaction(2).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe partial struct SigAction
{
    public const int SA_SIGINFO = 0x4;
    public const int SA_ONSTACK = 0x08000000;

    public nint sa_handler;
    public fixed ulong sa_mask[16];
    public int sa_flags;
    public int padding;
    public nint sa_restorer;

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    public static partial int Install(int signum, SigAction* act, SigAction* oldact);
}
