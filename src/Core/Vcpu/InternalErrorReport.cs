using Glue.Core.Kvm;
using Glue.Core.Kvm.Uapi;
using Glue.Core.Memory;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Vcpu;

/// <summary>Turns a KVM_EXIT_INTERNAL_ERROR into one line a person can act on.</summary>
internal static unsafe class InternalErrorReport
{
    private const int MaxInstructionBytes = 15;

    public static string Describe(KvmVcpu vcpu, GuestMemory memory, ref kvm_run run)
    {
        if (run.@internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
        {
            return $"vCPU {vcpu.Id}: KVM internal error, suberror {run.@internal.suberror}";
        }
        var regs = vcpu.GetRegs();
        var sregs = vcpu.GetSregs();
        int cpl = sregs.cs.selector & 3;
        string bytes = InstructionBytes(vcpu, memory, ref run.emulation_failure, regs.rip, sregs.cs.@base);
        string message = $"vCPU {vcpu.Id}: emulation failure at rip=0x{regs.rip:x} cpl={cpl}, instruction bytes: {bytes}";
        if (KvmSystem.IsPvmHost && cpl == 0)
        {
            message += "; this host's /dev/kvm is PVM, which emulates all guest code at CPL0 and cannot run this instruction there";
        }
        return message;
    }

    /// <summary>The bytes KVM reports (KVM_CAP_EXIT_ON_EMULATION_FAILURE), else read at the translated RIP.</summary>
    private static string InstructionBytes(KvmVcpu vcpu, GuestMemory memory, ref kvm_run_emulation_failure failure, ulong rip, ulong csBase)
    {
        if ((failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) != 0 && failure.insn_size > 0)
        {
            fixed (byte* insn = failure.insn_bytes)
            {
                return Convert.ToHexString(new ReadOnlySpan<byte>(insn, Math.Min((int)failure.insn_size, MaxInstructionBytes))).ToLowerInvariant();
            }
        }
        if (vcpu.Translate(csBase + rip) is ulong physical && memory.TryGetSpan(new GuestAddress(physical), MaxInstructionBytes, out var span))
        {
            return Convert.ToHexString(span).ToLowerInvariant();
        }
        return "unavailable";
    }
}
