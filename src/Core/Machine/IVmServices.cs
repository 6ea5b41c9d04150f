using Glue.Core.Control;
using Glue.Core.Memory;
using Glue.Core.Snapshot;

namespace Glue.Core.Machine;

/// <summary>
/// What a device reaches of the one VM it belongs to: guest memory, interrupt lines, the kernel command line, the
/// end of the VM, the control socket's handlers, and the objects the VM's devices share (its display). Not the
/// buses and resources a transport places devices with (<see cref="IDevicePlatform"/>), nor the life cycle.
/// </summary>
public interface IVmServices
{
    GuestMemory Memory { get; }

    /// <summary>An interrupt line (GSI) of the in-kernel PIC/IOAPIC for a device to drive.</summary>
    IInterruptLine InterruptLine(uint gsi);

    /// <summary>Control requests the VM serves beyond the built-in ones (a display's SCREENSHOT).</summary>
    ControlHandlers ControlHandlers { get; }

    /// <summary>
    /// The VM's one <typeparamref name="T"/>, made on first use: where devices from separate projects meet
    /// without naming each other (Glue.Display's GuestDisplay, which the GPU draws, input devices read and VNC
    /// serves). Core names no such type; each is the VM's, so two VMs in one process never share one.
    /// </summary>
    T Shared<T>() where T : class, new();

    /// <summary>Keeps a device's resources until the VM is disposed, when they are flushed and released first.</summary>
    void Own(IDisposable device);

    /// <summary>Saves and restores <paramref name="part"/> in a snapshot as devices.<paramref name="name"/> (docs/snapshot.md); a name once per VM.</summary>
    void AddSnapshotPart(string name, ISnapshotPart part);

    /// <summary>A device that keeps no snapshot state of its own yet: `glue snapshot` and `glue run --restore` refuse a VM with it, naming it.</summary>
    void HasNoSnapshot(string device);

    /// <summary>A parameter every kernel is given after the defaults (e.g. `virtio_mmio.device=`).</summary>
    void AddKernelParameter(string parameter);

    /// <summary>A parameter a Linux kernel is given among Glue's defaults, before the device parameters and `-p` (`console=ttyS0`).</summary>
    void AddLinuxDefault(string parameter);

    /// <summary>Ends the VM for the given reason; the first reason given wins.</summary>
    void RequestExit(VmExit exit);
}
