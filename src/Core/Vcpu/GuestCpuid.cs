using System.Numerics;
using Glue.Core.Kvm.Uapi;

namespace Glue.Core.Vcpu;

/// <summary>
/// The CPUID a vCPU sees: what KVM supports on this host, with this vCPU's APIC id and the VM's CPU count
/// written into the topology leaves (Intel SDM Vol. 2A CPUID; AMD APM Vol. 3 E.4), as Firecracker and kvmtool do.
/// </summary>
public static class GuestCpuid
{
    private const uint LeafFeatures = 0x1;
    private const uint LeafExtendedTopology = 0xb;
    private const uint LeafV2ExtendedTopology = 0x1f;
    private const uint LeafAmdExtendedApicId = 0x8000001e;

    private const uint Cpuid1EcxHypervisor = 1u << 31;
    private const uint Cpuid1EcxCx16 = 1u << 13;
    private const uint Cpuid1EcxXsave = 1u << 26;
    private const uint Cpuid1EcxOsxsave = 1u << 27;
    private const uint Cpuid1EdxHtt = 1u << 28;

    // Leaf 0xB/0x1F level types (ECX[15:8]).
    private const uint LevelSmt = 1, LevelCore = 2;

    /// <summary>
    /// The leaves for one vCPU. With <paramref name="emulatedKernelMode"/> (a PVM host, where KVM's instruction
    /// emulator runs all guest CPL0 code) CMPXCHG16B and XSAVE are hidden: the emulator cannot execute
    /// `lock cmpxchg16b` or `xrstor`, and Linux uses both early when CPUID offers them (it falls back without).
    /// </summary>
    public static kvm_cpuid_entry2[] For(ReadOnlySpan<kvm_cpuid_entry2> supported, int apicId, int cpuCount, bool emulatedKernelMode = false)
    {
        var entries = supported.ToArray();
        uint coreShift = (uint)BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)cpuCount));
        foreach (ref var e in entries.AsSpan())
        {
            switch (e.function)
            {
                case LeafFeatures:
                    // EBX[31:24] initial APIC id, EBX[23:16] logical processors per package.
                    e.ebx = (e.ebx & 0x0000ffff) | ((uint)apicId << 24) | ((uint)Math.Min(cpuCount, 255) << 16);
                    e.ecx |= Cpuid1EcxHypervisor;
                    if (cpuCount > 1) e.edx |= Cpuid1EdxHtt;
                    else e.edx &= ~Cpuid1EdxHtt;
                    if (emulatedKernelMode) e.ecx &= ~(Cpuid1EcxCx16 | Cpuid1EcxXsave | Cpuid1EcxOsxsave);
                    break;
                case LeafExtendedTopology or LeafV2ExtendedTopology:
                    // One thread per core, cpuCount cores in one package; EDX is the x2APIC id at every level.
                    (e.eax, e.ebx, e.ecx) = e.index switch
                    {
                        0 => (0u, 1u, (LevelSmt << 8) | 0),
                        1 => (coreShift, (uint)cpuCount, (LevelCore << 8) | 1),
                        _ => (0u, 0u, e.index),
                    };
                    e.edx = (uint)apicId;
                    break;
                case LeafAmdExtendedApicId:
                    e.eax = (uint)apicId;
                    break;
            }
        }
        return entries;
    }
}
