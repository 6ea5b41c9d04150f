using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Kvm.Uapi;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Kvm;

/// <summary>A vCPU file descriptor and its mmap'd kvm_run page.</summary>
public sealed unsafe partial class KvmVcpu : IDisposable
{
    private readonly SafeFd _fd;
    private readonly nint _run;
    private readonly int _runSize;

    internal KvmVcpu(int id, SafeFd fd, int runSize)
    {
        Id = id;
        _fd = fd;
        _runSize = runSize;
        _run = Libc.Mmap(0, (nuint)runSize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd.Fd, 0);
        if (_run == Libc.MAP_FAILED)
        {
            var error = NativeError.FromLastError("mmap kvm_run");
            fd.Dispose();
            throw error;
        }
    }

    public int Id { get; }

    /// <summary>The shared kvm_run page, read in place on every exit.</summary>
    public ref kvm_run Run => ref *(kvm_run*)_run;

    /// <summary>A span over the kvm_run page, for exit data that lives at an offset inside it (KVM_EXIT_IO).</summary>
    public Span<byte> RunPage => new((void*)_run, _runSize);

    /// <summary>KVM_RUN: 0 on an exit to handle, otherwise the errno (EINTR and EAGAIN mean "run again").</summary>
    public int Enter() => Libc.Ioctl(_fd.Fd, KVM_RUN, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public kvm_regs GetRegs()
    {
        kvm_regs regs;
        KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_GET_REGS, &regs), "KVM_GET_REGS");
        return regs;
    }

    public void SetRegs(in kvm_regs regs)
    {
        fixed (kvm_regs* p = &regs) KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_SET_REGS, p), "KVM_SET_REGS");
    }

    public kvm_sregs GetSregs()
    {
        kvm_sregs sregs;
        KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
        return sregs;
    }

    public void SetSregs(in kvm_sregs sregs)
    {
        fixed (kvm_sregs* p = &sregs) KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_SET_SREGS, p), "KVM_SET_SREGS");
    }

    public void SetFpu(in kvm_fpu fpu)
    {
        fixed (kvm_fpu* p = &fpu) KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_SET_FPU, p), "KVM_SET_FPU");
    }

    public kvm_lapic_state GetLapic()
    {
        kvm_lapic_state lapic;
        KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_GET_LAPIC, &lapic), "KVM_GET_LAPIC");
        return lapic;
    }

    public void SetLapic(in kvm_lapic_state lapic)
    {
        fixed (kvm_lapic_state* p = &lapic) KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_SET_LAPIC, p), "KVM_SET_LAPIC");
    }

    /// <summary>KVM_SET_CPUID2 with the given leaves.</summary>
    public void SetCpuid(ReadOnlySpan<kvm_cpuid_entry2> entries) =>
        KvmVm.Check(IoctlWithEntries(KVM_SET_CPUID2, entries), "KVM_SET_CPUID2");

    /// <summary>KVM_SET_MSRS; throws naming the first MSR KVM refused.</summary>
    public void SetMsrs(ReadOnlySpan<kvm_msr_entry> entries)
    {
        int set = IoctlWithEntries(KVM_SET_MSRS, entries);
        KvmVm.Check(set, "KVM_SET_MSRS");
        if (set < entries.Length) throw new InvalidOperationException($"KVM refused MSR 0x{entries[set].index:x}");
    }

    /// <summary>
    /// An ioctl whose argument is a count-prefixed array: struct kvm_cpuid2 and struct kvm_msrs are both a u32
    /// count and u32 padding followed by the entries.
    /// </summary>
    private int IoctlWithEntries<TEntry>(nuint request, ReadOnlySpan<TEntry> entries) where TEntry : unmanaged =>
        IoctlWithEntries(request, entries, []);

    /// <summary>The same, copying the entries KVM filled in (KVM_GET_MSRS) back into <paramref name="result"/>.</summary>
    private int IoctlWithEntries<TEntry>(nuint request, ReadOnlySpan<TEntry> entries, Span<TEntry> result) where TEntry : unmanaged
    {
        const int HeaderSize = 8; // sizeof(struct kvm_cpuid2) == sizeof(struct kvm_msrs), as UapiLayoutTests checks
        int bytes = HeaderSize + entries.Length * sizeof(TEntry);
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        try
        {
            *(uint*)buffer = (uint)entries.Length;
            entries.CopyTo(new Span<TEntry>(buffer + HeaderSize, entries.Length));
            int answer = Libc.Ioctl(_fd.Fd, request, buffer);
            new ReadOnlySpan<TEntry>(buffer + HeaderSize, result.Length).CopyTo(result);
            return answer;
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>KVM_TRANSLATE: the guest-physical address behind a guest-virtual one, or null if unmapped.</summary>
    public ulong? Translate(ulong linearAddress)
    {
        var translation = new kvm_translation { linear_address = linearAddress };
        if (Libc.Ioctl(_fd.Fd, KVM_TRANSLATE, &translation) < 0 || translation.valid == 0) return null;
        return translation.physical_address;
    }

    /// <summary>KVM_KVMCLOCK_CTRL: the guest was paused by its host; false when the guest does not use kvmclock.</summary>
    public bool TryNotifyClockPaused() => Libc.Ioctl(_fd.Fd, KVM_KVMCLOCK_CTRL, 0) == 0;

    public void Dispose()
    {
        Libc.Munmap(_run, (nuint)_runSize);
        _fd.Dispose();
    }
}
