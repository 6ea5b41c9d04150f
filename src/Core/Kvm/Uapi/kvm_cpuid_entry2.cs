using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>One CPUID leaf/subleaf (struct kvm_cpuid_entry2); an array follows struct kvm_cpuid2's header.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_cpuid_entry2
{
    public const uint KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

    public uint function;
    public uint index;
    public uint flags;
    public uint eax, ebx, ecx, edx;
    public fixed uint padding[3];
}

/// <summary>The header of struct kvm_cpuid2: entries follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid2
{
    public uint nent;
    public uint padding;
}
