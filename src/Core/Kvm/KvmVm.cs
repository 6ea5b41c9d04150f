using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Kvm.Uapi;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Kvm;

/// <summary>A VM file descriptor: memory slots, the in-kernel irqchip and PIT, interrupt lines, vCPU creation.</summary>
public sealed unsafe partial class KvmVm : IDisposable
{
    private readonly SafeFd _fd;

    internal KvmVm(KvmSystem system, SafeFd fd)
    {
        System = system;
        _fd = fd;
    }

    public KvmSystem System { get; }

    public int Fd => _fd.Fd;

    /// <summary>KVM_SET_USER_MEMORY_REGION: backs guest-physical [guestAddress, +size) with host memory at hostAddress.</summary>
    public void SetUserMemoryRegion(uint slot, ulong guestAddress, ulong size, nint hostAddress)
    {
        var region = new kvm_userspace_memory_region
        {
            slot = slot,
            guest_phys_addr = guestAddress,
            memory_size = size,
            userspace_addr = (ulong)hostAddress,
        };
        Check(Libc.Ioctl(_fd.Fd, KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>KVM_SET_TSS_ADDR: three pages of guest-physical space Intel VMX needs for real-mode emulation.</summary>
    public void SetTssAddress(ulong address) => Check(Libc.Ioctl(_fd.Fd, KVM_SET_TSS_ADDR, (nint)address), "KVM_SET_TSS_ADDR");

    /// <summary>KVM_SET_IDENTITY_MAP_ADDR: one page for VMX's identity page table in real mode.</summary>
    public void SetIdentityMapAddress(ulong address) =>
        Check(Libc.Ioctl(_fd.Fd, KVM_SET_IDENTITY_MAP_ADDR, &address), "KVM_SET_IDENTITY_MAP_ADDR");

    /// <summary>KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and a LAPIC per vCPU.</summary>
    public void CreateIrqChip() => Check(Libc.Ioctl(_fd.Fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");

    /// <summary>KVM_CREATE_PIT2: in-kernel i8254 timer; the speaker port stays a dummy.</summary>
    public void CreatePit2()
    {
        var config = new kvm_pit_config { flags = KVM_PIT_SPEAKER_DUMMY };
        Check(Libc.Ioctl(_fd.Fd, KVM_CREATE_PIT2, &config), "KVM_CREATE_PIT2");
    }

    /// <summary>KVM_IRQ_LINE: drives one GSI of the in-kernel PIC/IOAPIC to a level.</summary>
    public void SetIrqLine(uint gsi, bool level)
    {
        var irq = new kvm_irq_level { irq = gsi, level = level ? 1u : 0u };
        Check(Libc.Ioctl(_fd.Fd, KVM_IRQ_LINE, &irq), "KVM_IRQ_LINE");
    }

    /// <summary>
    /// KVM_IOEVENTFD: a guest write of <paramref name="length"/> bytes to the MMIO (or, with <paramref name="pio"/>, port)
    /// <paramref name="address"/> signals <paramref name="eventFd"/> inside KVM, without an exit to the vCPU thread;
    /// with <paramref name="datamatch"/> only writes of that value do.
    /// </summary>
    public void AssignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch, bool pio = false)
    {
        var request = new kvm_ioeventfd
        {
            addr = address,
            len = length,
            fd = (int)eventFd.DangerousGetHandle(),
            datamatch = datamatch ?? 0,
            flags = (datamatch is null ? 0 : kvm_ioeventfd.KVM_IOEVENTFD_FLAG_DATAMATCH) | (pio ? kvm_ioeventfd.KVM_IOEVENTFD_FLAG_PIO : 0),
        };
        Check(Libc.Ioctl(_fd.Fd, KVM_IOEVENTFD, &request), $"KVM_IOEVENTFD at 0x{address:x}");
    }

    /// <summary>KVM_IOEVENTFD with KVM_IOEVENTFD_FLAG_DEASSIGN: undoes an <see cref="AssignIoEventFd"/> of the same arguments.</summary>
    public void DeassignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch)
    {
        var request = new kvm_ioeventfd
        {
            addr = address,
            len = length,
            fd = (int)eventFd.DangerousGetHandle(),
            datamatch = datamatch ?? 0,
            flags = kvm_ioeventfd.KVM_IOEVENTFD_FLAG_DEASSIGN | (datamatch is null ? 0 : kvm_ioeventfd.KVM_IOEVENTFD_FLAG_DATAMATCH),
        };
        Check(Libc.Ioctl(_fd.Fd, KVM_IOEVENTFD, &request), $"KVM_IOEVENTFD deassign at 0x{address:x}");
    }

    /// <summary>KVM_SET_GSI_ROUTING: replaces the whole GSI routing table with <paramref name="entries"/>.</summary>
    public void SetGsiRouting(ReadOnlySpan<kvm_irq_routing_entry> entries)
    {
        int size = sizeof(kvm_irq_routing) + entries.Length * sizeof(kvm_irq_routing_entry);
        var bytes = new byte[size];   // not a hot path: the table changes when the guest programs a vector
        fixed (byte* table = bytes)
        {
            *(kvm_irq_routing*)table = new kvm_irq_routing { nr = (uint)entries.Length };
            entries.CopyTo(new Span<kvm_irq_routing_entry>(table + sizeof(kvm_irq_routing), entries.Length));
            Check(Libc.Ioctl(_fd.Fd, KVM_SET_GSI_ROUTING, table), "KVM_SET_GSI_ROUTING");
        }
    }

    /// <summary>KVM_IRQFD: each write to <paramref name="eventFd"/> injects an edge on <paramref name="gsi"/>, without a syscall into our vCPU loop.</summary>
    public void AssignIrqFd(SafeHandle eventFd, uint gsi)
    {
        var request = new kvm_irqfd { fd = (uint)eventFd.DangerousGetHandle(), gsi = gsi };
        Check(Libc.Ioctl(_fd.Fd, KVM_IRQFD, &request), $"KVM_IRQFD on GSI {gsi}");
    }

    /// <summary>KVM_ENABLE_CAP on the VM; false when the host refuses (the capability is optional).</summary>
    public bool TryEnableCapability(int capability)
    {
        var cap = new kvm_enable_cap { cap = (uint)capability };
        return Libc.Ioctl(_fd.Fd, KVM_ENABLE_CAP, &cap) == 0;
    }

    /// <summary>KVM_CREATE_VCPU with the given id (its initial APIC id) and its kvm_run page mapped.</summary>
    public KvmVcpu CreateVcpu(int id)
    {
        int fd = Libc.Ioctl(_fd.Fd, KVM_CREATE_VCPU, id);
        if (fd < 0) throw NativeError.FromLastError($"KVM_CREATE_VCPU {id}");
        return new KvmVcpu(id, new SafeFd(fd), System.VcpuMmapSize);
    }

    internal static void Check(int result, string operation)
    {
        if (result < 0) throw NativeError.FromLastError(operation);
    }

    public void Dispose() => _fd.Dispose();
}
