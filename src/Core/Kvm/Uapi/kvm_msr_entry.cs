using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>One MSR (struct kvm_msr_entry); an array follows struct kvm_msrs's header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_entry
{
    public uint index;
    public uint reserved;
    public ulong data;
}

/// <summary>The header of struct kvm_msrs: entries follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msrs
{
    public uint nmsrs;
    public uint pad;
}
