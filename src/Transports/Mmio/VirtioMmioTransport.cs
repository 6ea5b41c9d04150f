using Glue.Core.Devices;
using Glue.Core.Firmware;
using Glue.Core.Machine;
using Glue.Core.Memory;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Events;
using static Glue.Transports.Mmio.VirtioMmioRegisters;

[assembly: GlueDevice(typeof(Glue.Transports.Mmio.VirtioMmioTransport))]

namespace Glue.Transports.Mmio;

/// <summary>
/// virtio-mmio (virtio 1.2 §4.2): each device gets a 4 KiB window from the machine's platform MMIO windows
/// (<see cref="MemoryLayout.DeviceWindows"/> on) and an I/O APIC input, and the guest is told of it twice: in the
/// DSDT (LNRO0005, as Linux's ACPI probe and Firecracker use) and with a `virtio_mmio.device=4K@base:gsi` kernel
/// parameter. Each queue's QueueNotify write is an ioeventfd (datamatch = the queue index) and the interrupt an
/// irqfd, so neither leaves KVM.
/// </summary>
public sealed class VirtioMmioTransport : IVirtioTransportFeature
{
    public string Name => "virtio-mmio";

    public string TransportName => "mmio";

    public IReadOnlyList<DeviceOption> Options => [];

    public void Attach(IDevicePlatform machine, IVirtioDevice device)
    {
        VirtioMmioDevice mmio;
        ulong windowBase;
        uint gsi;
        int n;
        EventFd? interrupt = null;
        try
        {
            string what = $"a virtio-mmio {device.Name} device";
            windowBase = machine.Resources.PlatformMmio.Allocate(VirtioMmioDevice.WindowSize, VirtioMmioDevice.WindowSize, what);
            n = (int)((windowBase - machine.Resources.PlatformMmio.Start) / VirtioMmioDevice.WindowSize);
            gsi = machine.Resources.IoApicGsis.Allocate(what);
            interrupt = new EventFd();
            mmio = new VirtioMmioDevice(device, machine.Memory, interrupt, $"virtio-mmio-{n}");
        }
        catch
        {
            // Until the machine owns it, the device (an open disk) is ours to close.
            interrupt?.Dispose();
            (device as IDisposable)?.Dispose();
            throw;
        }
        machine.Own(mmio);
        machine.AssignIrqFd(interrupt.Handle, gsi);
        for (int queue = 0; queue < mmio.State.QueueCount; queue++)
            machine.AssignIoEventFd(mmio.State.QueueKick(queue).Handle, windowBase + VIRTIO_MMIO_QUEUE_NOTIFY, 4, (ulong)queue);
        machine.Mmio.Register(windowBase, VirtioMmioDevice.WindowSize, mmio);
        machine.Describe(new PlatformDevice($"VR{n:00}", "LNRO0005", (uint)n,
            [new MmioResource((uint)windowBase, (uint)VirtioMmioDevice.WindowSize), new InterruptResource(gsi)]));
        machine.AddKernelParameter($"virtio_mmio.device=4K@0x{windowBase:x}:{gsi}");
        // Only a device that keeps its own state (or has none) can be saved; the machine refuses a snapshot of the others.
        if (device is ISnapshotPart) machine.AddSnapshotPart($"{device.Name}@mmio-{n}", mmio);
        else machine.HasNoSnapshot(device.Name);
    }
}
