namespace Glue.Core.Kvm;

/// <summary>
/// Sizes of the x86 state structs a snapshot keeps as KVM gives them (arch/x86/include/uapi/asm/kvm.h,
/// include/uapi/linux/kvm.h); each matches the size encoded in its ioctl number in <see cref="KvmIoctls"/>.
/// </summary>
public static class KvmStateSizes
{
    public const int kvm_xsave = 4096;
    public const int kvm_xcrs = 392;
    public const int kvm_vcpu_events = 64;
    public const int kvm_debugregs = 128;
    public const int kvm_irqchip = 520;
    public const int kvm_pit_state2 = 112;
    public const int kvm_clock_data = 48;

    /// <summary>struct kvm_clock_data: flags follow the u64 clock.</summary>
    public const int kvm_clock_data_flags = 8;
}
