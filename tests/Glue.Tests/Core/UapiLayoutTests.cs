using System.Runtime.CompilerServices;
using Glue.Core.Boot;
using Glue.Core.Kvm.Uapi;
using Xunit;

namespace Glue.Tests.Core;

/// <summary>Struct sizes as the kernel's headers give them (sizeof on x86_64 with the same headers).</summary>
public sealed class UapiLayoutTests
{
    [Fact]
    public void Kvm_structs_have_the_kernel_sizes()
    {
        Assert.Equal(144, Unsafe.SizeOf<kvm_regs>());
        Assert.Equal(312, Unsafe.SizeOf<kvm_sregs>());
        Assert.Equal(24, Unsafe.SizeOf<kvm_segment>());
        Assert.Equal(16, Unsafe.SizeOf<kvm_dtable>());
        Assert.Equal(416, Unsafe.SizeOf<kvm_fpu>());
        Assert.Equal(40, Unsafe.SizeOf<kvm_cpuid_entry2>());
        Assert.Equal(8, Unsafe.SizeOf<kvm_cpuid2>());
        Assert.Equal(16, Unsafe.SizeOf<kvm_msr_entry>());
        Assert.Equal(8, Unsafe.SizeOf<kvm_msrs>());
        Assert.Equal(32, Unsafe.SizeOf<kvm_userspace_memory_region>());
        Assert.Equal(64, Unsafe.SizeOf<kvm_pit_config>());
        Assert.Equal(8, Unsafe.SizeOf<kvm_irq_level>());
        Assert.Equal(64, Unsafe.SizeOf<kvm_ioeventfd>());
        Assert.Equal(32, Unsafe.SizeOf<kvm_irqfd>());
        Assert.Equal(8, Unsafe.SizeOf<kvm_irq_routing>());
        Assert.Equal(48, Unsafe.SizeOf<kvm_irq_routing_entry>());
        Assert.Equal(8, Unsafe.SizeOf<kvm_irq_routing_irqchip>());
        Assert.Equal(16, Unsafe.SizeOf<kvm_irq_routing_msi>());
        Assert.Equal(1024, Unsafe.SizeOf<kvm_lapic_state>());
        Assert.Equal(24, Unsafe.SizeOf<kvm_translation>());
        Assert.Equal(104, Unsafe.SizeOf<kvm_enable_cap>());
    }

    [Fact]
    public void Kvm_run_exit_data_sits_at_the_kernel_offsets()
    {
        Assert.Equal(8, Offset((ref kvm_run r) => ref r.exit_reason));
        Assert.Equal(32, Offset((ref kvm_run r) => ref r.io.direction));
        Assert.Equal(40, Offset((ref kvm_run r) => ref r.io.data_offset));
        Assert.Equal(48, Offset((ref kvm_run r) => ref r.mmio.len));
        Assert.Equal(52, Offset((ref kvm_run r) => ref r.mmio.is_write));
        Assert.Equal(36, Offset((ref kvm_run r) => ref r.@internal.ndata));
        Assert.Equal(40, Offset((ref kvm_run r) => ref r.emulation_failure.flags));
        Assert.Equal(48, Offset((ref kvm_run r) => ref r.emulation_failure.insn_size));
        Assert.Equal(32, Offset((ref kvm_run r) => ref r.system_event.type));
    }

    [Fact]
    public void Pvh_structs_have_the_xen_sizes()
    {
        Assert.Equal(56, Unsafe.SizeOf<hvm_start_info>());
        Assert.Equal(32, Unsafe.SizeOf<hvm_modlist_entry>());
        Assert.Equal(24, Unsafe.SizeOf<hvm_memmap_table_entry>());
    }

    private delegate ref T Field<T>(ref kvm_run run);

    private static int Offset<T>(Field<T> field)
    {
        var run = new kvm_run();
        return (int)Unsafe.ByteOffset(ref Unsafe.As<kvm_run, byte>(ref run), ref Unsafe.As<T, byte>(ref field(ref run)));
    }
}
