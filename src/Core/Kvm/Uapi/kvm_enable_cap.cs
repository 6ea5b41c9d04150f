using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_ENABLE_CAP (struct kvm_enable_cap).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_enable_cap
{
    public uint cap;
    public uint flags;
    public fixed ulong args[4];
    public fixed byte pad[64];
}
