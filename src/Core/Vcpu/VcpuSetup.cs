using System.Buffers.Binary;
using Glue.Core.Boot;
using Glue.Core.Kvm;
using Glue.Core.Kvm.Uapi;
using Glue.Core.Memory;

namespace Glue.Core.Vcpu;

/// <summary>Gives a freshly created vCPU its CPUID, MSRs, FPU and LAPIC state, and the boot vCPU its entry registers.</summary>
public static unsafe class VcpuSetup
{
    // Local APIC registers (Intel SDM Vol. 3A, 11.5.1) and delivery modes.
    private const int APIC_LVT0 = 0x350;
    private const int APIC_LVT1 = 0x360;
    private const uint APIC_MODE_NMI = 0x4;
    private const uint APIC_MODE_EXTINT = 0x7;

    // Control register and EFER bits (Intel SDM Vol. 3A, 2.5 and 2.2.1).
    private const ulong X86_CR0_PE = 1, X86_CR0_ET = 1 << 4, X86_CR0_PG = 1UL << 31;
    private const ulong X86_CR4_PAE = 1 << 5;
    private const ulong EFER_LME = 1 << 8, EFER_LMA = 1 << 10;

    public static void Configure(KvmVcpu vcpu, ReadOnlySpan<kvm_cpuid_entry2> supportedCpuid, int cpuCount, bool emulatedKernelMode)
    {
        vcpu.SetCpuid(GuestCpuid.For(supportedCpuid, vcpu.Id, cpuCount, emulatedKernelMode));
        vcpu.SetMsrs(BootMsrs.Entries());
        // x87 control word and MXCSR at their power-on values (Intel SDM Vol. 1, 8.1.5 and 10.2.3).
        vcpu.SetFpu(new kvm_fpu { fcw = 0x37f, mxcsr = 0x1f80 });
        ConfigureLapic(vcpu);
    }

    /// <summary>LINT0 delivers ExtINT (the PIC) and LINT1 delivers NMI, as a PC BIOS leaves them.</summary>
    private static void ConfigureLapic(KvmVcpu vcpu)
    {
        var lapic = vcpu.GetLapic();
        var regs = new Span<byte>(lapic.regs, kvm_lapic_state.KVM_APIC_REG_SIZE);
        SetDeliveryMode(regs[APIC_LVT0..], APIC_MODE_EXTINT);
        SetDeliveryMode(regs[APIC_LVT1..], APIC_MODE_NMI);
        vcpu.SetLapic(lapic);
    }

    private static void SetDeliveryMode(Span<byte> register, uint mode)
    {
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(register);
        BinaryPrimitives.WriteUInt32LittleEndian(register, (value & ~0x700u) | (mode << 8));
    }

    /// <summary>Puts the boot vCPU at the kernel's entry point in the mode its boot protocol asks for.</summary>
    public static void SetEntryState(KvmVcpu vcpu, BootEntry entry)
    {
        var descriptors = BootGdt.Descriptors(entry.Mode);
        var sregs = vcpu.GetSregs();
        var code = BootGdt.Segment(BootGdt.CodeSelector, descriptors[BootGdt.CodeSelector / 8]);
        var data = BootGdt.Segment(BootGdt.DataSelector, descriptors[BootGdt.DataSelector / 8]);
        sregs.cs = code;
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
        sregs.tr = BootGdt.Segment(BootGdt.TssSelector, descriptors[BootGdt.TssSelector / 8]);
        sregs.gdt.@base = MemoryLayout.BootGdt.Value;
        sregs.gdt.limit = (ushort)(descriptors.Length * 8 - 1);
        sregs.idt.@base = MemoryLayout.BootIdt.Value;
        sregs.idt.limit = 7;

        var regs = new kvm_regs { rflags = 0x2, rip = entry.EntryPoint.Value };
        if (entry.Mode == EntryMode.Protected32)
        {
            sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
            sregs.cr4 = 0;
            sregs.efer = 0;
            regs.rbx = entry.BootInfo.Value;
        }
        else
        {
            sregs.cr3 = IdentityPageTables.Pml4.Value;
            sregs.cr4 = X86_CR4_PAE;
            sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
            sregs.efer = EFER_LME | EFER_LMA;
            regs.rsi = entry.BootInfo.Value;
            regs.rsp = regs.rbp = MemoryLayout.BootStackTop.Value;
        }
        vcpu.SetSregs(sregs);
        vcpu.SetRegs(regs);
    }
}
