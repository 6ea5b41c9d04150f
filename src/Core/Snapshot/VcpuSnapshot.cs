using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Glue.Core.Kvm;
using Glue.Core.Kvm.Uapi;

namespace Glue.Core.Snapshot;

/// <summary>
/// One vCPU's state as KVM exposes it, kept in the state file as the kernel's structs in base64 (regs, sregs, xsave or
/// fpu, xcrs, lapic, vcpu_events, debugregs), the MP state as a number and the MSRs as "index": value. Both directions
/// run on the vCPU's own thread (KVM's api.rst), while it is held outside the guest.
/// </summary>
public static class VcpuSnapshot
{
    private const uint MSR_IA32_TSC = 0x10;

    // 64-bit TSS descriptor types (Intel SDM Vol. 3A, 3.5): available and busy.
    private const byte TssAvailable = 9, TssBusy = 11;

    /// <summary>What every vCPU of one VM saves: the MSR list and the XSAVE size come from KVM once.</summary>
    public sealed record Capabilities(uint[] MsrIndices, int XsaveSize, bool Xcrs);

    public static Capabilities Query(KvmSystem kvm)
    {
        int xsave = kvm.CheckExtension(KvmIoctls.KVM_CAP_XSAVE) == 0 ? 0 : Math.Max(kvm.CheckExtension(KvmIoctls.KVM_CAP_XSAVE2), KvmStateSizes.kvm_xsave);
        return new Capabilities(kvm.GetMsrIndexList(), xsave, kvm.CheckExtension(KvmIoctls.KVM_CAP_XCRS) != 0);
    }

    public static JsonObject Save(KvmVcpu vcpu, Capabilities capabilities)
    {
        vcpu.CompletePendingExit();
        var state = new JsonObject
        {
            ["id"] = vcpu.Id,
            ["regs"] = Base64(vcpu.GetRegs()),
            ["sregs"] = Base64(vcpu.GetSregs()),
        };
        if (capabilities.XsaveSize > 0) state["xsave"] = Convert.ToBase64String(vcpu.GetXsave(capabilities.XsaveSize));
        else state["fpu"] = Base64(vcpu.GetFpu());
        if (capabilities.Xcrs) state["xcrs"] = Convert.ToBase64String(vcpu.GetXcrs());
        var msrs = new JsonObject();
        foreach (var msr in vcpu.GetMsrs(capabilities.MsrIndices)) msrs[$"0x{msr.index:x}"] = msr.data;
        state["msrs"] = msrs;
        state["lapic"] = Base64(vcpu.GetLapic());
        state["mpState"] = vcpu.GetMpState();
        state["vcpuEvents"] = Convert.ToBase64String(vcpu.GetVcpuEvents());
        state["debugRegs"] = Convert.ToBase64String(vcpu.GetDebugRegs());
        return state;
    }

    /// <summary>
    /// Sets the state on a vCPU that has its CPUID: sregs before the LAPIC (the APIC base MSR lives in sregs), the MSRs
    /// with the TSC first (as QEMU does, so the MSRs that depend on it see the restored value), the events last.
    /// </summary>
    public static void Restore(KvmVcpu vcpu, JsonObject state)
    {
        var regs = Struct<kvm_regs>(state, "regs");
        var sregs = Struct<kvm_sregs>(state, "sregs");
        // KVM on AMD reports TR as busy whatever the VMCB holds (svm_get_segment: "the busy flag in the tr selector
        // isn't exported"); given back as busy, an emulated SVM (QEMU TCG) refuses the TSS's I/O bitmap with a #GP.
        // AMD hardware ignores the flag, so the available type the guest's LTR loaded is given back.
        if (KvmSystem.IsSvmHost && sregs.tr.type == TssBusy) sregs.tr.type = TssAvailable;
        byte[]? xsave = state.ContainsKey("xsave") ? state.Bytes("xsave") : null;
        kvm_fpu? fpu = xsave is null ? Struct<kvm_fpu>(state, "fpu") : null;
        byte[]? xcrs = state.ContainsKey("xcrs") ? state.Bytes("xcrs", KvmStateSizes.kvm_xcrs) : null;
        var msrs = Msrs(state.Object("msrs"));
        var lapic = Struct<kvm_lapic_state>(state, "lapic");
        uint mpState = state.U32("mpState");
        byte[] events = state.Bytes("vcpuEvents", KvmStateSizes.kvm_vcpu_events);
        byte[] debugRegs = state.Bytes("debugRegs", KvmStateSizes.kvm_debugregs);

        vcpu.SetMpState(mpState);
        vcpu.SetRegs(regs);
        vcpu.SetSregs(sregs);
        if (xsave is not null) vcpu.SetXsave(xsave);
        else vcpu.SetFpu(fpu!.Value);
        if (xcrs is not null) vcpu.SetXcrs(xcrs);
        vcpu.SetDebugRegs(debugRegs);
        vcpu.SetLapic(lapic);
        vcpu.SetMsrs(msrs);
        vcpu.SetVcpuEvents(events);
    }

    private static kvm_msr_entry[] Msrs(JsonObject msrs)
    {
        var entries = new List<kvm_msr_entry>(msrs.Count);
        foreach (var (name, _) in msrs)
        {
            if (!name.StartsWith("0x", StringComparison.Ordinal) || !uint.TryParse(name.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out uint index))
                throw new SnapshotException($"MSR '{name}' is not a hexadecimal index");
            entries.Add(new kvm_msr_entry { index = index, data = msrs.U64(name) });
        }
        return [.. entries.OrderBy(e => e.index == MSR_IA32_TSC ? 0 : 1)];
    }

    private static string Base64<T>(T value) where T : unmanaged =>
        Convert.ToBase64String(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)));

    private static unsafe T Struct<T>(JsonObject state, string field) where T : unmanaged =>
        MemoryMarshal.Read<T>(state.Bytes(field, sizeof(T)));
}
