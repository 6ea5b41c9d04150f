using System.Runtime.InteropServices;
using Glue.Core.Interop;

namespace Glue.Core.Sandbox;

/// <summary>
/// The report of a forbidden system call. Filters answer one with SECCOMP_RET_TRAP carrying the thread's kind; the
/// kernel sends that thread SIGSYS, whose handler writes one line to stderr naming the kind, the call and its first
/// arguments, then ends the process with status 159 (128 + SIGSYS, what a shell shows for a process SIGSYS ended).
/// TRAP rather than SECCOMP_RET_KILL_PROCESS: the kill leaves nothing but an audit record most hosts never show,
/// and it cannot say which of Glue's threads it was.
///
/// The handler may run in any thread at any moment, so it only reads the siginfo and the registers, formats into
/// the stack and calls write and _exit (async-signal-safe). The .NET runtime handles no SIGSYS of its own, so the
/// handler installed here is the one the kernel runs; should it be blocked or replaced, the kernel's default for a
/// seccomp SIGSYS still kills the process.
/// </summary>
internal static unsafe class SigsysReport
{
    public const int SIGSYS = 31;
    public const int ExitStatus = 128 + SIGSYS;

    // siginfo_t for SIGSYS (asm-generic/siginfo.h): si_errno at 4 holds SECCOMP_RET_DATA, _sigsys._syscall at 24.
    private const int SiErrnoOffset = 4;
    private const int SiSyscallOffset = 24;

    // ucontext_t on x86_64: uc_flags, uc_link, stack_t uc_stack (24 bytes), then mcontext_t's gregs (sys/ucontext.h).
    private const int GregsOffset = 40;
    private const int REG_RDI = 8;
    private const int REG_RSI = 9;
    private const int REG_RDX = 12;

    public static void Install()
    {
        var action = new SigAction
        {
            sa_handler = (nint)(delegate* unmanaged<int, byte*, byte*, void>)&OnSigsys,
            sa_flags = SigAction.SA_SIGINFO | SigAction.SA_ONSTACK,
        };
        if (SigAction.Install(SIGSYS, &action, null) != 0) throw NativeError.FromLastError("sigaction SIGSYS");
    }

    [UnmanagedCallersOnly]
    private static void OnSigsys(int signal, byte* info, byte* context)
    {
        const int Capacity = 256;
        byte* buffer = stackalloc byte[Capacity];
        var line = new LineWriter(new Span<byte>(buffer, Capacity));
        int number = *(int*)(info + SiSyscallOffset);
        var registers = (ulong*)(context + GregsOffset);
        line.Append("glue: seccomp: a "u8);
        line.Append(KindName(*(int*)(info + SiErrnoOffset)));
        line.Append(" thread called "u8);
        line.Append(SyscallNames.Utf8(number));
        line.Append(" ("u8);
        line.AppendDecimal((ulong)number);
        line.Append(") with 0x"u8);
        line.AppendHex(registers[REG_RDI]);
        line.Append(", 0x"u8);
        line.AppendHex(registers[REG_RSI]);
        line.Append(", 0x"u8);
        line.AppendHex(registers[REG_RDX]);
        line.Append(", which its filter forbids: glue ends (docs/security.md)\n"u8);
        SeccompLibc.RawWrite(2, buffer, (nuint)line.Length);
        SeccompLibc.Exit(ExitStatus);
    }

    /// <summary>The name --seccomp=log's docs and this report use for a kind.</summary>
    public static ReadOnlySpan<byte> KindName(int kind) => (ThreadKind)kind switch
    {
        ThreadKind.Process => "runtime"u8,
        ThreadKind.Main => "main"u8,
        ThreadKind.Vcpu => "vcpu"u8,
        ThreadKind.DeviceIo => "device-io"u8,
        ThreadKind.Display => "display"u8,
        ThreadKind.Control => "control"u8,
        ThreadKind.Backend => "vhost-user"u8,
        ThreadKind.FileServer => "fs"u8,
        _ => "unknown"u8,
    };
}
