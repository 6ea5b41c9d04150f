using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>A route to an MSI message (struct kvm_irq_routing_msi): the address and data a guest programmed.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct kvm_irq_routing_msi
{
    public uint address_lo;
    public uint address_hi;
    public uint data;
    public uint pad;   // union { pad; devid; }: devid only with KVM_MSI_VALID_DEVID, which x86 does not use
}
