using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Kvm.Uapi;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Kvm;

/// <summary>The vCPU state ioctls a snapshot saves and restores; each struct kept as the bytes KVM gives.</summary>
public sealed unsafe partial class KvmVcpu
{
    public kvm_fpu GetFpu()
    {
        kvm_fpu fpu;
        KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_GET_FPU, &fpu), "KVM_GET_FPU");
        return fpu;
    }

    /// <summary>KVM_GET_XSAVE2 (with KVM_CAP_XSAVE2's <paramref name="size"/> above 4096) or KVM_GET_XSAVE.</summary>
    public byte[] GetXsave(int size) =>
        Read(size > KvmStateSizes.kvm_xsave ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, Math.Max(size, KvmStateSizes.kvm_xsave), "KVM_GET_XSAVE");

    public void SetXsave(ReadOnlySpan<byte> xsave) => Write(KVM_SET_XSAVE, xsave, "KVM_SET_XSAVE");

    public byte[] GetXcrs() => Read(KVM_GET_XCRS, KvmStateSizes.kvm_xcrs, "KVM_GET_XCRS");

    public void SetXcrs(ReadOnlySpan<byte> xcrs) => Write(KVM_SET_XCRS, Exactly(xcrs, KvmStateSizes.kvm_xcrs, "kvm_xcrs"), "KVM_SET_XCRS");

    public byte[] GetVcpuEvents() => Read(KVM_GET_VCPU_EVENTS, KvmStateSizes.kvm_vcpu_events, "KVM_GET_VCPU_EVENTS");

    public void SetVcpuEvents(ReadOnlySpan<byte> events) =>
        Write(KVM_SET_VCPU_EVENTS, Exactly(events, KvmStateSizes.kvm_vcpu_events, "kvm_vcpu_events"), "KVM_SET_VCPU_EVENTS");

    public byte[] GetDebugRegs() => Read(KVM_GET_DEBUGREGS, KvmStateSizes.kvm_debugregs, "KVM_GET_DEBUGREGS");

    public void SetDebugRegs(ReadOnlySpan<byte> debugRegs) =>
        Write(KVM_SET_DEBUGREGS, Exactly(debugRegs, KvmStateSizes.kvm_debugregs, "kvm_debugregs"), "KVM_SET_DEBUGREGS");

    /// <summary>KVM_GET_MP_STATE: struct kvm_mp_state is one u32 (KVM_MP_STATE_RUNNABLE, _HALTED, ...).</summary>
    public uint GetMpState()
    {
        uint state;
        KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_GET_MP_STATE, &state), "KVM_GET_MP_STATE");
        return state;
    }

    public void SetMpState(uint state) => KvmVm.Check(Libc.Ioctl(_fd.Fd, KVM_SET_MP_STATE, &state), "KVM_SET_MP_STATE");

    /// <summary>
    /// KVM_GET_MSRS of each index KVM will read for this vCPU: KVM stops at the first MSR it refuses (one the
    /// guest's CPUID does not have), so that one is skipped and the rest read on.
    /// </summary>
    public kvm_msr_entry[] GetMsrs(ReadOnlySpan<uint> indices)
    {
        var entries = new kvm_msr_entry[indices.Length];
        for (int i = 0; i < indices.Length; i++) entries[i].index = indices[i];
        var read = new List<kvm_msr_entry>(indices.Length);
        for (int from = 0; from < entries.Length;)
        {
            var batch = entries.AsSpan(from);
            int count = IoctlWithEntries(KVM_GET_MSRS, (ReadOnlySpan<kvm_msr_entry>)batch, batch);
            KvmVm.Check(count, "KVM_GET_MSRS");
            read.AddRange(batch[..count]);
            from += count + 1;
        }
        return [.. read];
    }

    /// <summary>KVM_RUN with immediate_exit set: finishes an I/O or MMIO exit's instruction without running further, so the state read next is consistent.</summary>
    public void CompletePendingExit()
    {
        Volatile.Write(ref Run.immediate_exit, 1);
        int errno = Enter();
        Volatile.Write(ref Run.immediate_exit, 0);
        if (errno is not (Libc.EINTR or 0)) throw new NativeError("KVM_RUN (immediate_exit)", errno);
    }

    private static ReadOnlySpan<byte> Exactly(ReadOnlySpan<byte> bytes, int size, string name) =>
        bytes.Length == size ? bytes : throw new ArgumentException($"{name} is {size} bytes, not {bytes.Length}");

    private byte[] Read(nuint request, int size, string name)
    {
        var bytes = new byte[size];
        fixed (byte* p = bytes) KvmVm.Check(Libc.Ioctl(_fd.Fd, request, p), name);
        return bytes;
    }

    private void Write(nuint request, ReadOnlySpan<byte> bytes, string name)
    {
        fixed (byte* p = bytes) KvmVm.Check(Libc.Ioctl(_fd.Fd, request, p), name);
    }
}
