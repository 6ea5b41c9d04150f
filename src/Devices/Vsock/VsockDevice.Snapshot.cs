using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using static Glue.Devices.Vsock.VsockProtocol;

namespace Glue.Devices.Vsock;

/// <summary>
/// A snapshot keeps no connection: their host ends stay with the original glue. After a restore the guest is told its
/// transport was reset (§5.10.6.7, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET), as Firecracker does: Linux's driver then
/// drops every connection and reads its CID again, so a clone may be restored with a CID of its own beside the original.
/// </summary>
public sealed partial class VsockDevice : ISnapshotPart
{
    /// <summary>The CID the guest had, for the reader; the restored device's is the one given at restore.</summary>
    public JsonObject Save() => new() { ["guestCid"] = _guestCid };

    public void Restore(JsonObject state) => state.U64("guestCid");

    /// <summary>On the I/O thread, once activated: one event in the first buffer the driver left on the event queue.</summary>
    public void AfterRestore()
    {
        if (_activation is not { } activation) return;
        var events = activation.Queues[EventQueue];
        if (!events.TryPop(out var chain)) return;
        Span<byte> reset = stackalloc byte[EventSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(reset, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
        chain.Writer.Write(reset);
        events.AddUsed(chain.Head, (uint)chain.Writer.Position);
        activation.SignalUsedIfNeeded(EventQueue);
    }
}
