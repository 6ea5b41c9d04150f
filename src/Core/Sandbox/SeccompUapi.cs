namespace Glue.Core.Sandbox;

/// <summary>Constants of linux/seccomp.h, linux/audit.h and asm/unistd.h that the filters are built from.</summary>
#pragma warning disable CA1707 // the kernel's names
public static class SeccompUapi
{
    // seccomp(2) operations and flags (linux/seccomp.h).
    public const uint SECCOMP_SET_MODE_FILTER = 1;
    public const uint SECCOMP_FILTER_FLAG_TSYNC = 1;

    // Filter return values, highest precedence first (linux/seccomp.h): the kernel runs every stacked filter and
    // takes the action of lowest value; SECCOMP_RET_DATA carries 16 bits to the SIGSYS handler (si_errno).
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public const uint SECCOMP_RET_TRAP = 0x00030000;
    public const uint SECCOMP_RET_ERRNO = 0x00050000;
    public const uint SECCOMP_RET_LOG = 0x7ffc0000;
    public const uint SECCOMP_RET_ALLOW = 0x7fff0000;
    public const uint SECCOMP_RET_DATA = 0x0000ffff;

    // struct seccomp_data: int nr, __u32 arch, __u64 instruction_pointer, __u64 args[6].
    public const uint SeccompDataNr = 0;
    public const uint SeccompDataArch = 4;
    public const uint SeccompDataArgs = 16;

    /// <summary>EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (linux/audit.h).</summary>
    public const uint AUDIT_ARCH_X86_64 = 0xc000003e;

    /// <summary>asm/unistd.h: numbers with this bit are the x32 ABI, which shares AUDIT_ARCH_X86_64.</summary>
    public const uint X32_SYSCALL_BIT = 0x40000000;

    /// <summary>The low 32 bits of args[index]: x86-64 is little-endian.</summary>
    public static uint ArgLow(int index) => SeccompDataArgs + 8 * (uint)index;

    /// <summary>The high 32 bits of args[index].</summary>
    public static uint ArgHigh(int index) => ArgLow(index) + 4;
}
