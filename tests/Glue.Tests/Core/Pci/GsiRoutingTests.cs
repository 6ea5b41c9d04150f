using Glue.Core.Kvm.Uapi;
using Glue.Core.Machine;
using Xunit;
using static Glue.Core.Kvm.Uapi.kvm_irq_routing_entry;
using static Glue.Core.Kvm.Uapi.kvm_irq_routing_irqchip;

namespace Glue.Tests.Core.Pci;

/// <summary>The machine's one routing table: KVM's default irqchip routes stay in it beside the MSI routes.</summary>
public sealed class GsiRoutingTests
{
    private readonly List<kvm_irq_routing_entry[]> _committed = [];
    private readonly GsiRouting _routing;

    public GsiRoutingTests() => _routing = new GsiRouting(_committed.Add);

    [Fact]
    public void An_msi_route_is_committed_with_every_irqchip_route_kvm_had_by_default()
    {
        _routing.SetMsi(24, 0xfee0_1000, 0x4041);
        var table = Assert.Single(_committed);
        // GSIs 0-15 on an 8259 and the I/O APIC, 16-23 on the I/O APIC: 40 routes, then the MSI one.
        Assert.Equal(41, table.Length);
        Assert.Contains(table, e => e is { gsi: 4, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: { irqchip: KVM_IRQCHIP_PIC_MASTER, pin: 4 } });
        Assert.Contains(table, e => e is { gsi: 9, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: { irqchip: KVM_IRQCHIP_PIC_SLAVE, pin: 1 } });
        for (uint gsi = 0; gsi < 24; gsi++)
            Assert.Contains(table, e => e.gsi == gsi && e.type == KVM_IRQ_ROUTING_IRQCHIP && e.irqchip is { irqchip: KVM_IRQCHIP_IOAPIC } && e.irqchip.pin == gsi);
        Assert.Equal(new kvm_irq_routing_msi { address_lo = 0xfee0_1000, data = 0x4041 }, table[^1].msi);
        Assert.Equal((24u, KVM_IRQ_ROUTING_MSI), (table[^1].gsi, table[^1].type));
    }

    [Fact]
    public void Every_msi_route_stays_and_an_unchanged_one_commits_nothing()
    {
        _routing.SetMsi(24, 0xfee0_0000, 0x40);
        _routing.SetMsi(25, 0xfee0_0000, 0x41);
        _routing.SetMsi(24, 0xfee0_0000, 0x40);
        Assert.Equal(2, _committed.Count);
        Assert.Equal([24u, 25u], _committed[^1].Where(e => e.type == KVM_IRQ_ROUTING_MSI).Select(e => e.gsi));
    }

    [Fact]
    public void An_io_apic_pin_cannot_become_an_msi_route()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _routing.SetMsi(23, 0xfee0_0000, 0x40));
        Assert.Empty(_committed);
    }
}
