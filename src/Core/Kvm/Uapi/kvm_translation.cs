using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_TRANSLATE (struct kvm_translation): guest-virtual to guest-physical.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_translation
{
    public ulong linear_address;
    public ulong physical_address;
    public byte valid;
    public byte writeable;
    public byte usermode;
    public fixed byte pad[5];
}
