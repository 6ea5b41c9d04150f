using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>The local APIC register page (struct kvm_lapic_state, KVM_APIC_REG_SIZE = 0x400).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_lapic_state
{
    public const int KVM_APIC_REG_SIZE = 0x400;

    public fixed byte regs[KVM_APIC_REG_SIZE];
}
