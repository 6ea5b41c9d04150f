using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>A guest memory slot (struct kvm_userspace_memory_region).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_userspace_memory_region
{
    public uint slot;
    public uint flags;
    public ulong guest_phys_addr;
    public ulong memory_size;
    public ulong userspace_addr;
}
