using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_CREATE_PIT2 (struct kvm_pit_config).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_pit_config
{
    public uint flags;
    public fixed uint pad[15];
}
