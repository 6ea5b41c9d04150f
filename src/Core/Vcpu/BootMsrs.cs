using Glue.Core.Kvm.Uapi;

namespace Glue.Core.Vcpu;

/// <summary>The MSR values a vCPU starts with (Intel SDM Vol. 4 names), as Firecracker and kvmtool set them.</summary>
public static class BootMsrs
{
    private const uint MSR_IA32_TSC = 0x10;
    private const uint MSR_IA32_SYSENTER_CS = 0x174;
    private const uint MSR_IA32_SYSENTER_ESP = 0x175;
    private const uint MSR_IA32_SYSENTER_EIP = 0x176;
    private const uint MSR_IA32_MISC_ENABLE = 0x1a0;
    private const uint MSR_MTRRdefType = 0x2ff;
    private const uint MSR_STAR = 0xc0000081;
    private const uint MSR_LSTAR = 0xc0000082;
    private const uint MSR_CSTAR = 0xc0000083;
    private const uint MSR_SYSCALL_MASK = 0xc0000084;
    private const uint MSR_KERNEL_GS_BASE = 0xc0000102;

    private const ulong MSR_IA32_MISC_ENABLE_FAST_STRING = 1;
    // MTRRs enabled (bit 11), default memory type write-back (6).
    private const ulong MtrrDefTypeEnabledWriteBack = (1 << 11) | 6;

    public static kvm_msr_entry[] Entries() =>
    [
        new() { index = MSR_IA32_SYSENTER_CS },
        new() { index = MSR_IA32_SYSENTER_ESP },
        new() { index = MSR_IA32_SYSENTER_EIP },
        new() { index = MSR_STAR },
        new() { index = MSR_CSTAR },
        new() { index = MSR_KERNEL_GS_BASE },
        new() { index = MSR_SYSCALL_MASK },
        new() { index = MSR_LSTAR },
        new() { index = MSR_IA32_TSC },
        new() { index = MSR_IA32_MISC_ENABLE, data = MSR_IA32_MISC_ENABLE_FAST_STRING },
        new() { index = MSR_MTRRdefType, data = MtrrDefTypeEnabledWriteBack },
    ];
}
