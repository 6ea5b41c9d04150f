using Glue.Core.Kvm.Uapi;
using Glue.Core.Vcpu;
using Xunit;

namespace Glue.Tests.Core;

public sealed class GuestCpuidTests
{
    private static readonly kvm_cpuid_entry2[] Supported =
    [
        new() { function = 0x1, ebx = 0xff00_0800, ecx = (1u << 13) | (1u << 26) | (1u << 27) | 1u, edx = 0 },
        new() { function = 0xb, index = 0 },
        new() { function = 0xb, index = 1 },
        new() { function = 0xb, index = 2 },
        new() { function = 0x8000001e },
    ];

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 4)]
    [InlineData(2, 3)]
    public void Each_vcpu_sees_its_own_apic_id_and_the_cpu_count(int apicId, int cpus)
    {
        var leaves = GuestCpuid.For(Supported, apicId, cpus);
        var leaf1 = leaves.Single(e => e.function == 1);
        Assert.Equal((uint)apicId, leaf1.ebx >> 24);
        Assert.Equal((uint)cpus, (leaf1.ebx >> 16) & 0xff);
        Assert.Equal(0x0800u, leaf1.ebx & 0xffff); // CLFLUSH size and brand index are kept
        Assert.NotEqual(0u, leaf1.ecx & (1u << 31)); // hypervisor present
        Assert.Equal(cpus > 1, (leaf1.edx & (1u << 28)) != 0);
        Assert.All(leaves.Where(e => e.function == 0xb), e => Assert.Equal((uint)apicId, e.edx));
        var core = leaves.Single(e => e.function == 0xb && e.index == 1);
        Assert.Equal((uint)cpus, core.ebx);
        Assert.True(1u << (int)core.eax >= (uint)cpus);
        Assert.Equal(2u, leaves.Single(e => e.function == 0xb && e.index == 2).ecx);
        Assert.Equal((uint)apicId, leaves.Single(e => e.function == 0x8000001e).eax);
    }

    [Fact]
    public void Cmpxchg16b_and_xsave_are_hidden_only_when_the_kernel_mode_is_emulated()
    {
        const uint cx16 = 1u << 13, xsave = 1u << 26, osxsave = 1u << 27;
        uint native = GuestCpuid.For(Supported, 0, 1).Single(e => e.function == 1).ecx;
        uint emulated = GuestCpuid.For(Supported, 0, 1, emulatedKernelMode: true).Single(e => e.function == 1).ecx;
        Assert.Equal(cx16 | xsave | osxsave, native & (cx16 | xsave | osxsave));
        Assert.Equal(0u, emulated & (cx16 | xsave | osxsave));
        Assert.Equal(1u, emulated & 1u); // SSE3 and the rest are kept
    }
}
