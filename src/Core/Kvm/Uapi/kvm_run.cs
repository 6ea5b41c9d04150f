using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>The shared vCPU page (struct kvm_run): only the fields and exit union members Glue reads.</summary>
[StructLayout(LayoutKind.Explicit)]
public struct kvm_run
{
    [FieldOffset(0)] public byte request_interrupt_window;
    [FieldOffset(1)] public byte immediate_exit;
    [FieldOffset(8)] public uint exit_reason;
    [FieldOffset(12)] public byte ready_for_interrupt_injection;
    [FieldOffset(13)] public byte if_flag;
    [FieldOffset(16)] public ulong cr8;
    [FieldOffset(24)] public ulong apic_base;

    // The exit-reason union starts at offset 32.
    [FieldOffset(32)] public kvm_run_io io;
    [FieldOffset(32)] public kvm_run_mmio mmio;
    [FieldOffset(32)] public kvm_run_fail_entry fail_entry;
    [FieldOffset(32)] public kvm_run_internal @internal;
    [FieldOffset(32)] public kvm_run_emulation_failure emulation_failure;
    [FieldOffset(32)] public kvm_run_system_event system_event;
}

/// <summary>KVM_EXIT_IO: data lives in the kvm_run page at data_offset, count items of size bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_run_io
{
    public byte direction;
    public byte size;
    public ushort port;
    public uint count;
    public ulong data_offset;
}

/// <summary>KVM_EXIT_MMIO.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_mmio
{
    public ulong phys_addr;
    public fixed byte data[8];
    public uint len;
    public byte is_write;
}

/// <summary>KVM_EXIT_FAIL_ENTRY.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_run_fail_entry
{
    public ulong hardware_entry_failure_reason;
    public uint cpu;
}

/// <summary>KVM_EXIT_INTERNAL_ERROR.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_internal
{
    public uint suberror;
    public uint ndata;
    public fixed ulong data[16];
}

/// <summary>KVM_EXIT_INTERNAL_ERROR with suberror KVM_INTERNAL_ERROR_EMULATION.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct kvm_run_emulation_failure
{
    public uint suberror;
    public uint ndata;
    public ulong flags;
    public byte insn_size;
    public fixed byte insn_bytes[15];
}

/// <summary>KVM_EXIT_SYSTEM_EVENT.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_system_event
{
    public uint type;
    public uint ndata;
    public fixed ulong data[16];
}
