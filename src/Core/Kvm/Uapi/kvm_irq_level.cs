using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_IRQ_LINE (struct kvm_irq_level).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irq_level
{
    public uint irq;
    public uint level;
}
