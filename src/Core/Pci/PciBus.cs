using Glue.Core.Bus;
using Glue.Core.Firmware;
using Glue.Core.Machine;
using Glue.Core.Memory;
using Glue.Core.Snapshot;
using System.Text.Json.Nodes;

namespace Glue.Core.Pci;

/// <summary>
/// PCI bus 0 of a machine: the host bridge at 00:00.0, one function per slot after it, configuration accesses
/// through mechanism #1 (<see cref="PciConfigPorts"/>) and ECAM (<see cref="PciEcamRegion"/>), and each memory BAR
/// on the MMIO bus where it points while its function's memory decode is on. BARs are assigned inside the host
/// bridge's windows before the guest runs, so Linux keeps them; a guest that moves one moves its region (and,
/// through <see cref="PciBar.Mapped"/>, its ioeventfds). Configuration accesses from all vCPUs are serialized here.
/// </summary>
public sealed class PciBus : ISnapshotPart
{
    public const int SlotCount = 32;

    private readonly object _gate = new();
    private readonly AddressBus _mmio;
    private readonly IPciFunction?[] _slots = new IPciFunction?[SlotCount];
    private readonly Dictionary<PciBar, ulong> _decoding = [];

    private PciBus(AddressBus mmio)
    {
        _mmio = mmio;
        _slots[0] = new PciHostBridge();
    }

    /// <summary>Bus 0 with its host bridge, its configuration ports on <paramref name="ports"/> and its ECAM on <paramref name="mmio"/>.</summary>
    public static PciBus Create(AddressBus ports, AddressBus mmio)
    {
        var bus = new PciBus(mmio);
        ports.Register(PciConfigPorts.Base, PciConfigPorts.Length, new PciConfigPorts(bus));
        mmio.Register(MemoryLayout.PciEcam.Value, MemoryLayout.PciEcamSize, new PciEcamRegion(bus));
        return bus;
    }

    /// <summary>The ECAM window the MCFG describes: segment 0, bus 0 only.</summary>
    public EcamWindow Ecam { get; } = new(MemoryLayout.PciEcam, Segment: 0, StartBus: 0, EndBus: 0);

    /// <summary>
    /// Puts <paramref name="function"/> in the next free slot and assigns its BARs: 64-bit prefetchable ones in the
    /// 64-bit window, the rest in the 32-bit window, each aligned to its size. Returns the slot (the device number).
    /// </summary>
    public uint Attach(IPciFunction function, MachineResources resources, string name)
    {
        uint slot = resources.PciSlots.Allocate(name);
        foreach (var bar in function.Config.Bars)
        {
            var window = bar.Is64Bit && bar.Prefetchable ? resources.PciMemory64 : resources.PciMemory32;
            function.Config.SetBarAddress(bar, window.Allocate(bar.Size, bar.Size, $"BAR {bar.Index} of {name}"));
        }
        lock (_gate) _slots[slot] = function;
        return slot;
    }

    /// <summary>The host bridge's ACPI devices: PCI0 (PNP0A08, _CID PNP0A03) with its windows, and the ECAM as a motherboard resource.</summary>
    public IReadOnlyList<PlatformDevice> AcpiDevices(MachineResources resources) =>
    [
        new("PCI0", "PNP0A08", 0,
        [
            new BusNumberRangeResource(Ecam.StartBus, Ecam.EndBus),
            new IoPortResource(PciConfigPorts.Base, PciConfigPorts.Length),
            // All I/O ports but the configuration ports pass through the bridge, as on a PC (the ISA devices too).
            new IoRangeResource(0x0000, PciConfigPorts.Base - 1),
            new IoRangeResource(PciConfigPorts.Base + PciConfigPorts.Length, 0xffff),
            new MemoryRangeResource(resources.PciMemory32.Start, resources.PciMemory32.Size, Prefetchable: false),
            new MemoryRangeResource(resources.PciMemory64.Start, resources.PciMemory64.Size, Prefetchable: true),
        ], Cid: "PNP0A03"),
        // Linux also wants the ECAM among the motherboard resources (arch/x86/pci/mmconfig-shared.c, is_acpi_reserved).
        new("MRES", "PNP0C02", 0, [new MmioResource(checked((uint)Ecam.Base.Value), checked((uint)Ecam.Size))]),
    ];

    /// <summary>A configuration read; absent functions and malformed accesses read all ones.</summary>
    public void Read(uint bus, uint device, uint function, int register, Span<byte> data)
    {
        data.Fill(0xff);
        lock (_gate)
        {
            if (Target(bus, device, function, register, data.Length) is { } target) target.ReadConfig(register, data);
        }
    }

    /// <summary>A configuration write; then every BAR of the function is put where its registers and COMMAND say.</summary>
    public void Write(uint bus, uint device, uint function, int register, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (Target(bus, device, function, register, data.Length) is not { } target) return;
            target.WriteConfig(register, data);
            UpdateDecoding(target);
        }
    }

    /// <summary>Each function's configuration space, by slot: where the guest put its BARs, what it enabled.</summary>
    public JsonObject Save()
    {
        var slots = new JsonObject();
        lock (_gate)
        {
            for (int slot = 0; slot < SlotCount; slot++)
            {
                if (_slots[slot] is { } function) slots[slot.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Convert.ToBase64String(function.Config.Save());
            }
        }
        return new JsonObject { ["slots"] = slots };
    }

    /// <summary>Gives each function its saved space and puts its BARs where the guest had them, as a guest write would.</summary>
    public void Restore(JsonObject state)
    {
        var slots = state.Object("slots");
        lock (_gate)
        {
            var saved = new byte[SlotCount][];
            foreach (var (key, _) in slots)
            {
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int slot) || slot >= SlotCount || _slots[slot] is null)
                    throw new SnapshotException($"'slots' has slot '{key}', which holds no function on this bus");
            }
            for (int slot = 0; slot < SlotCount; slot++)
            {
                if (_slots[slot] is null) continue;
                string key = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
                saved[slot] = slots.Bytes(key, PciConfigSpace.Size);
                if (!_slots[slot]!.Config.IsSameFunction(saved[slot]))
                    throw new SnapshotException($"slot {key} holds another function than this bus has there");
            }
            for (int slot = 0; slot < SlotCount; slot++)
            {
                if (_slots[slot] is not { } function) continue;
                function.Config.Restore(saved[slot]);
                UpdateDecoding(function);
            }
        }
    }

    private IPciFunction? Target(uint bus, uint device, uint function, int register, int width) =>
        bus == 0 && device < SlotCount && function == 0 && width is 1 or 2 or 4 && register % width == 0 && register + width <= PciConfigSpace.Size
            ? _slots[device]
            : null;

    /// <summary>
    /// A BAR decodes while memory decode is on and its address is not 0; one whose range is not free on the MMIO
    /// bus (a guest half way through sizing it has all ones there, over the LAPIC) stays off the bus until it is.
    /// </summary>
    private void UpdateDecoding(IPciFunction function)
    {
        foreach (var bar in function.Config.Bars)
        {
            ulong address = function.Config.BarAddress(bar);
            ulong? wanted = function.Config.MemoryDecode && address != 0 && address + bar.Size > address ? address : null;
            ulong? current = _decoding.TryGetValue(bar, out var at) ? at : null;
            if (wanted == current) continue;
            if (current is { } old)
            {
                _mmio.Unregister(old, bar.Region);
                _decoding.Remove(bar);
                bar.Unmapped?.Invoke(old);
            }
            if (wanted is { } start && _mmio.TryRegister(start, bar.Size, bar.Region))
            {
                _decoding[bar] = start;
                bar.Mapped?.Invoke(start);
            }
        }
    }
}
