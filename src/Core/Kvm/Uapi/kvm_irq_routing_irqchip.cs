using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>A route to a pin of an in-kernel interrupt controller (struct kvm_irq_routing_irqchip).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irq_routing_irqchip
{
    // include/uapi/linux/kvm.h (x86): the irqchip ids.
    public const uint KVM_IRQCHIP_PIC_MASTER = 0;
    public const uint KVM_IRQCHIP_PIC_SLAVE = 1;
    public const uint KVM_IRQCHIP_IOAPIC = 2;

    public uint irqchip;
    public uint pin;
}
