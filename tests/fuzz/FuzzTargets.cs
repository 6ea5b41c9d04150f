using Glue.Fuzz.Targets;

namespace Glue.Fuzz;

/// <summary>
/// Every target, by name. A new one (a device's request parsing, say the GPU's commands) is a class with a
/// static Run(byte[]) and one line here, plus a few seed files in tests/fuzz/corpus/NAME/.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("split-queue", "a split virtqueue in hostile guest memory: rings, descriptor chains, indirect tables", SplitQueueTarget.Run),
        new("blk", "virtio-blk requests: header, data segments, status byte", BlockTarget.Run),
        new("net", "virtio-net transmit chains (header and frame) and receive buffers", NetTarget.Run),
        new("vsock", "virtio-vsock packets and credit on the tx queue, answers on the rx queue", VsockTarget.Run),
        new("console", "virtio-console transmit and receive chains", ConsoleTarget.Run),
        new("vhost-user-framing", "bytes on the vhost-user socket: headers, sizes, payloads", VhostUserFramingTarget.Run),
        new("vhost-user", "vhost-user requests to the backend: features, the memory table, rings and their start", VhostUserBackendTarget.Run),
        new("kernel", "kernel files: ELF headers and segments, the PVH note, the bzImage setup header", KernelTarget.Run),
        new("control", "the control socket's messages and status replies", ControlTarget.Run),
        new("qcow2-header", "qcow2 files: the header, its extensions, the backing file name", Qcow2HeaderTarget.Run),
        new("snapshot-state", "a snapshot's state.json: the header, the parts' checksums, and each virtio device's saved state", SnapshotStateTarget.Run),
        new("fuse-request", "virtio-fs FUSE requests split over descriptors against a scratch share with symlinks pointing out: parsing, every handler, confinement", FuseRequestTarget.Run),
        new("qcow2-tables", "qcow2 images served as a disk: L1/L2 walks on reads, refcounts on allocation, discard and write-zeroes", Qcow2TablesTarget.Run),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
