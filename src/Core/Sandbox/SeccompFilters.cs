using Glue.Core.Interop;
using static Glue.Core.Sandbox.SeccompUapi;

namespace Glue.Core.Sandbox;

/// <summary>
/// Puts Glue's threads under their filters. Filters stack and every one must allow a call, and a thread inherits
/// its creator's, so the order matters:
/// <list type="number">
/// <item><see cref="Start"/>, on the main thread before Glue starts a thread of its own, installs the process filter
///   on every thread with SECCOMP_FILTER_FLAG_TSYNC: the .NET runtime's threads get it, and any thread made later
///   inherits it. It allows what set-up and every thread need.</item>
/// <item><see cref="Enter"/>, first thing on each of Glue's threads, adds the narrower filter of its kind. Threads
///   it starts (a VNC client's) inherit it.</item>
/// </list>
/// </summary>
public static class SeccompFilters
{
    private static volatile bool _on;
    private static SeccompMode _mode = SeccompMode.Off;
    private static SyscallSet _credentials = [];

    public static SeccompMode Mode => _mode;

    /// <summary>
    /// The SIGSYS report, no_new_privs and the process filter on every thread. <paramref name="user"/> is the
    /// --user the process will drop to: glibc changes ids on every thread, so every filter allows exactly that change.
    /// Throws <see cref="NativeError"/>.
    /// </summary>
    public static unsafe void Start(SeccompMode mode, UserIds? user)
    {
        _mode = mode;
        if (mode == SeccompMode.Off) return;
        _credentials = user is { } ids ? SyscallPolicy.CredentialsOf(ids) : [];
        SigsysReport.Install();
        if (SeccompLibc.Prctl(SeccompLibc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw NativeError.FromLastError("prctl PR_SET_NO_NEW_PRIVS");
        Install(ThreadKind.Process, SECCOMP_FILTER_FLAG_TSYNC);
        _on = true;
    }

    /// <summary>Adds the filter of <paramref name="kind"/> to the calling thread; nothing when filters are off.</summary>
    public static void Enter(ThreadKind kind)
    {
        if (_on) Install(kind, 0);
    }

    /// <summary>The program of one kind's filter.</summary>
    public static BpfInstruction[] Program(ThreadKind kind, SeccompMode mode, SyscallSet credentials) =>
        SeccompProgram.Compile(new SyscallSet(SyscallPolicy.For(kind), credentials), mode == SeccompMode.Log ? SECCOMP_RET_LOG : SECCOMP_RET_TRAP | (uint)kind);

    private static unsafe void Install(ThreadKind kind, uint flags)
    {
        var program = Program(kind, _mode, _credentials);
        fixed (BpfInstruction* instructions = program)
        {
            var fprog = new SeccompLibc.SockFprog { len = (ushort)program.Length, filter = instructions };
            // With TSYNC a positive result is the id of a thread that could not take the filter.
            nint result = SeccompLibc.Syscall((nint)Syscall.seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
            if (result < 0) throw NativeError.FromLastError($"seccomp (the {kind} filter)");
            if (result > 0) throw new NativeError($"seccomp TSYNC (thread {result} has a filter of its own)", 0);
        }
    }
}
