using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>General-purpose registers (struct kvm_regs, arch/x86/include/uapi/asm/kvm.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_regs
{
    public ulong rax, rbx, rcx, rdx;
    public ulong rsi, rdi, rsp, rbp;
    public ulong r8, r9, r10, r11;
    public ulong r12, r13, r14, r15;
    public ulong rip, rflags;
}
