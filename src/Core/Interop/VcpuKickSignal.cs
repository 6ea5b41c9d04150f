using System.Runtime.InteropServices;

namespace Glue.Core.Interop;

/// <summary>
/// The signal that knocks a vCPU thread out of KVM_RUN (which then returns EINTR). Its handler must exist
/// (the default action would end the process) and must do nothing: it is one `ret` instruction in an
/// executable page, so no managed code runs inside a signal handler.
/// </summary>
internal static unsafe partial class VcpuKickSignal
{
    // A real-time signal clear of SIGRTMIN (34), which the .NET runtime uses for its own thread activation.
    public const int Number = 40;

    private const int PROT_EXEC = 0x4;
    private static readonly object Gate = new();
    private static bool _installed;

    [LibraryImport("libc", EntryPoint = "pthread_self")]
    public static partial nuint PthreadSelf();

    [LibraryImport("libc", EntryPoint = "pthread_kill")]
    private static partial int PthreadKill(nuint thread, int signal);

    /// <summary>Installs the do-nothing handler once per process (without SA_RESTART, so KVM_RUN is interrupted).</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed) return;
            nint page = Libc.Mmap(0, 4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
            if (page == Libc.MAP_FAILED) throw NativeError.FromLastError("mmap signal handler page");
            *(byte*)page = 0xc3; // ret
            if (Mprotect(page, 4096, Libc.PROT_READ | PROT_EXEC) != 0) throw NativeError.FromLastError("mprotect signal handler page");
            var action = new SigAction { sa_handler = page };
            if (SigAction.Install(Number, &action, null) != 0) throw NativeError.FromLastError("sigaction");
            _installed = true;
        }
    }

    /// <summary>Sends the kick to one thread (a pthread_t from <see cref="PthreadSelf"/>).</summary>
    public static void Send(nuint thread) => PthreadKill(thread, Number);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint addr, nuint len, int prot);
}
