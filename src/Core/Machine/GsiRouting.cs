using Glue.Core.Kvm.Uapi;
using static Glue.Core.Kvm.Uapi.kvm_irq_routing_entry;
using static Glue.Core.Kvm.Uapi.kvm_irq_routing_irqchip;

namespace Glue.Core.Machine;

/// <summary>
/// The machine's one GSI routing table. KVM_SET_GSI_ROUTING replaces the whole table, so this keeps what KVM's
/// default routing gave the in-kernel irqchip (GSIs 0-15 to both 8259s and the I/O APIC, 16-23 to the I/O APIC,
/// pin = GSI: arch/x86/kvm/irq_comm.c's default routing) and adds one MSI route per GSI a device programs.
/// <paramref name="commit"/> hands a table to KVM (KVM_SET_GSI_ROUTING). Thread-safe: vCPU threads change MSI
/// routes when the guest writes an MSI-X table entry.
/// </summary>
public sealed class GsiRouting(Action<kvm_irq_routing_entry[]> commit)
{
    private const int IoApicPins = 24, PicPins = 8;

    private readonly object _gate = new();
    private readonly SortedDictionary<uint, kvm_irq_routing_msi> _msi = [];

    /// <summary>Routes <paramref name="gsi"/> to the MSI message (address, data) and commits the table; unchanged routes cost nothing.</summary>
    public void SetMsi(uint gsi, ulong address, uint data)
    {
        if (gsi < IoApicPins) throw new ArgumentOutOfRangeException(nameof(gsi), $"GSI {gsi} is an I/O APIC pin, not an MSI route");
        var route = new kvm_irq_routing_msi { address_lo = (uint)address, address_hi = (uint)(address >> 32), data = data };
        lock (_gate)
        {
            if (_msi.TryGetValue(gsi, out var old) && old.address_lo == route.address_lo && old.address_hi == route.address_hi && old.data == data)
                return;
            _msi[gsi] = route;
            commit(Table());
        }
    }

    /// <summary>The irqchip routes, then the MSI routes: what KVM is given.</summary>
    internal kvm_irq_routing_entry[] Table()
    {
        var entries = new List<kvm_irq_routing_entry>();
        for (uint gsi = 0; gsi < IoApicPins; gsi++)
        {
            if (gsi < 2 * PicPins)
                entries.Add(Irqchip(gsi, gsi < PicPins ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, gsi % PicPins));
            entries.Add(Irqchip(gsi, KVM_IRQCHIP_IOAPIC, gsi));
        }
        foreach (var (gsi, msi) in _msi) entries.Add(new kvm_irq_routing_entry { gsi = gsi, type = KVM_IRQ_ROUTING_MSI, msi = msi });
        return [.. entries];
    }

    private static kvm_irq_routing_entry Irqchip(uint gsi, uint chip, uint pin) =>
        new() { gsi = gsi, type = KVM_IRQ_ROUTING_IRQCHIP, irqchip = new kvm_irq_routing_irqchip { irqchip = chip, pin = pin } };
}
