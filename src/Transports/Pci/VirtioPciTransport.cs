using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Core.Machine;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using L = Glue.Transports.Pci.VirtioPciBarLayout;

[assembly: GlueDevice(typeof(Glue.Transports.Pci.VirtioPciTransport))]

namespace Glue.Transports.Pci;

/// <summary>
/// virtio-pci (virtio 1.2 §4.1), modern only: each device is a function in the next free slot of bus 0, its BAR
/// assigned in the host bridge's 32-bit window, found by the guest's PCI enumeration (no kernel parameter, no DSDT
/// entry of its own). Each MSI-X vector is a GSI of the machine's routing table with an irqfd; each queue's notify
/// address an ioeventfd that follows the BAR when the guest moves it, so neither a kick nor an interrupt leaves KVM.
/// </summary>
public sealed class VirtioPciTransport : IVirtioTransportFeature
{
    public string Name => "virtio-pci";

    public string TransportName => "pci";

    public IReadOnlyList<DeviceOption> Options => [];

    public void Attach(IDevicePlatform machine, IVirtioDevice device)
    {
        string what = $"a virtio-pci {device.Name} device";
        var vectors = new List<(uint Gsi, EventFd Interrupt)>();
        var notify = new NotifyEventFds(machine);
        VirtioPciDevice? pci = null;
        uint slot;
        try
        {
            pci = new VirtioPciDevice(device, machine.Memory, $"virtio-pci-{device.Name}",
                (vector, address, data) => machine.Routing.SetMsi(vectors[vector].Gsi, address, data),
                vector => vectors[vector].Interrupt.Signal(),
                notify.Assign, notify.Deassign);
            notify.Device = pci;
            for (int v = 0; v < pci.Msix.Vectors; v++) vectors.Add((machine.Resources.MsiGsis.Allocate(what), new EventFd()));
            slot = machine.Pci.Attach(pci, machine.Resources, what);
        }
        catch
        {
            // Until the machine owns them, the device (an open disk) and the eventfds are ours to close.
            foreach (var (_, interrupt) in vectors) interrupt.Dispose();
            if (pci is not null) pci.Dispose();
            else (device as IDisposable)?.Dispose();
            throw;
        }
        machine.Own(pci);
        // Only a device that keeps its own state (or has none) can be saved; the machine refuses a snapshot of the others.
        if (device is ISnapshotPart) machine.AddSnapshotPart($"{device.Name}@pci-{slot:x2}", pci);
        else machine.HasNoSnapshot(device.Name);
        foreach (var (gsi, interrupt) in vectors)
        {
            machine.Own(interrupt);
            machine.AssignIrqFd(interrupt.Handle, gsi);
        }
    }

    /// <summary>
    /// Queue n's kick eventfd as an ioeventfd at the notify address while BAR 0 decodes: any write width (KVM's
    /// length 0), since the spec has the driver write 16 bits but nothing stops a 32-bit write. These run on the
    /// vCPU thread of the guest's config write: one KVM refuses (wherever a guest put its BAR) leaves that queue's
    /// kicks to the trapped notify write, which works as well, only slower.
    /// </summary>
    private sealed class NotifyEventFds(IDevicePlatform machine)
    {
        private readonly HashSet<int> _assigned = [];

        public VirtioPciDevice? Device { get; set; }

        public void Assign(ulong bar)
        {
            for (int q = 0; q < Device!.State.QueueCount; q++)
            {
                try
                {
                    machine.AssignIoEventFd(Device.State.QueueKick(q).Handle, Address(bar, q), 0, null);
                    _assigned.Add(q);
                }
                catch (NativeError) { }
            }
        }

        public void Deassign(ulong bar)
        {
            foreach (int q in _assigned) machine.DeassignIoEventFd(Device!.State.QueueKick(q).Handle, Address(bar, q), 0, null);
            _assigned.Clear();
        }

        private static ulong Address(ulong bar, int queue) => bar + L.Notify + (ulong)queue * L.NotifyOffMultiplier;
    }
}
