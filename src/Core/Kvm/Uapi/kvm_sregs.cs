using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>A cached segment register (struct kvm_segment).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_segment
{
    public ulong @base;
    public uint limit;
    public ushort selector;
    public byte type;
    public byte present, dpl, db, s, l, g, avl;
    public byte unusable;
    public byte padding;
}

/// <summary>A descriptor-table register (struct kvm_dtable).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_dtable
{
    public ulong @base;
    public ushort limit;
    public fixed ushort padding[3];
}

/// <summary>Special registers (struct kvm_sregs).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_sregs
{
    public kvm_segment cs, ds, es, fs, gs, ss;
    public kvm_segment tr, ldt;
    public kvm_dtable gdt, idt;
    public ulong cr0, cr2, cr3, cr4, cr8;
    public ulong efer;
    public ulong apic_base;
    public fixed ulong interrupt_bitmap[4];
}
