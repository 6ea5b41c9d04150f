using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_IRQFD (struct kvm_irqfd): a write to fd raises gsi in the in-kernel irqchip.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
public struct kvm_irqfd
{
    public const uint KVM_IRQFD_FLAG_DEASSIGN = 1 << 0;

    public uint fd;
    public uint gsi;
    public uint flags;
    public uint resamplefd;
}
