using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>
/// Argument of KVM_SET_GSI_ROUTING (struct kvm_irq_routing): the header, followed in memory by <see cref="nr"/>
/// <see cref="kvm_irq_routing_entry"/>s. The call replaces the VM's whole routing table.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
public struct kvm_irq_routing
{
    public uint nr;
    public uint flags;
}
