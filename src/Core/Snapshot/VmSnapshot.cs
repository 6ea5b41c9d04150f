using System.Text.Json.Nodes;
using Glue.Core.Kvm;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Snapshot;

/// <summary>The VM's in-kernel state: both PICs and the IOAPIC (struct kvm_irqchip), the PIT (kvm_pit_state2) and the kvmclock base (kvm_clock_data), in base64.</summary>
public static class VmSnapshot
{
    public static JsonObject Save(KvmVm vm) => new()
    {
        ["picMaster"] = Convert.ToBase64String(vm.GetIrqChip(KVM_IRQCHIP_PIC_MASTER)),
        ["picSlave"] = Convert.ToBase64String(vm.GetIrqChip(KVM_IRQCHIP_PIC_SLAVE)),
        ["ioapic"] = Convert.ToBase64String(vm.GetIrqChip(KVM_IRQCHIP_IOAPIC)),
        ["pit2"] = Convert.ToBase64String(vm.GetPit2()),
        ["clock"] = Convert.ToBase64String(vm.GetClock()),
    };

    /// <summary>Read whole before anything is set, so a bad field leaves the VM untouched.</summary>
    public static void Restore(KvmVm vm, JsonObject state)
    {
        byte[] master = Chip(state, "picMaster", KVM_IRQCHIP_PIC_MASTER), slave = Chip(state, "picSlave", KVM_IRQCHIP_PIC_SLAVE);
        byte[] ioapic = Chip(state, "ioapic", KVM_IRQCHIP_IOAPIC);
        byte[] pit = state.Bytes("pit2", KvmStateSizes.kvm_pit_state2), clock = state.Bytes("clock", KvmStateSizes.kvm_clock_data);
        vm.SetIrqChip(master);
        vm.SetIrqChip(slave);
        vm.SetIrqChip(ioapic);
        vm.SetPit2(pit);
        vm.SetClock(clock);
    }

    private static byte[] Chip(JsonObject state, string field, uint chipId)
    {
        byte[] chip = state.Bytes(field, KvmStateSizes.kvm_irqchip);
        if (BitConverter.ToUInt32(chip) != chipId) throw new SnapshotException($"'{field}' is the state of irqchip {BitConverter.ToUInt32(chip)}, not {chipId}");
        return chip;
    }
}
