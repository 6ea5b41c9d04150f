using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>
/// One route of the GSI routing table (struct kvm_irq_routing_entry): a GSI to an irqchip pin or to an MSI
/// message. The kernel's union u is 32 bytes (its __u32 pad[8]); only the two members Glue uses are declared.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct kvm_irq_routing_entry
{
    public const uint KVM_IRQ_ROUTING_IRQCHIP = 1;
    public const uint KVM_IRQ_ROUTING_MSI = 2;

    [FieldOffset(0)] public uint gsi;
    [FieldOffset(4)] public uint type;
    [FieldOffset(8)] public uint flags;
    [FieldOffset(12)] public uint pad;
    [FieldOffset(16)] public kvm_irq_routing_irqchip irqchip;
    [FieldOffset(16)] public kvm_irq_routing_msi msi;
}
