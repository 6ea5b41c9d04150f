using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>Argument of KVM_IOEVENTFD (struct kvm_ioeventfd): a guest write to addr signals fd instead of exiting.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public struct kvm_ioeventfd
{
    public const uint KVM_IOEVENTFD_FLAG_DATAMATCH = 1 << 0;
    public const uint KVM_IOEVENTFD_FLAG_PIO = 1 << 1;
    public const uint KVM_IOEVENTFD_FLAG_DEASSIGN = 1 << 2;

    public ulong datamatch;
    public ulong addr;
    public uint len;
    public int fd;
    public uint flags;
}
