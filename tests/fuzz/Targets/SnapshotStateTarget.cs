using System.Text.Json;
using System.Text.Json.Nodes;
using Glue.Core.Memory;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Devices.VirtioConsole;
using Glue.Virtio;
using Glue.Virtio.Events;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A hostile state.json (docs/snapshot.md): through <see cref="SnapshotDirectory.Parse"/> as `glue run --restore`
/// reads it (the JSON, the header, each part against its checksum, the machine), and then, whatever its checksums
/// say (a mutation rarely keeps them right), each device's object through the readers of a virtio device's state
/// (<see cref="VirtioDeviceState.Restore"/>, with a console device, whose own state is its pending input) and of an MSI-X table. A refusal is a
/// <see cref="SnapshotException"/> of one line; anything else escaping is a finding.
/// </summary>
internal static class SnapshotStateTarget
{
    /// <summary>The seeds' headers name this manifest, so that the parse goes on past it.</summary>
    private static readonly SnapshotOrigin Origin = new("fuzz", "fuzz");

    private static readonly GuestMemory Memory = new([new GuestRegion(new GuestAddress(0), 0x40000)]);
    private static readonly EventLoop Loop = new("fuzz-snapshot-state");

    public static void Run(byte[] data)
    {
        Refused(() => SnapshotDirectory.Parse(data, Origin));
        Dictionary<string, (JsonNode? Tree, ReadOnlyMemory<byte> Bytes)> members;
        try
        {
            members = StateFileReader.TopLevel(data);
        }
        catch (JsonException)
        {
            return;
        }
        if (!members.TryGetValue(SnapshotState.DevicesPart, out var devices) || devices.Tree is not JsonObject parts) return;
        foreach (var (_, part) in parts)
        {
            if (part is not JsonObject saved) continue;
            if (saved["virtio"] is JsonObject virtio)
            {
                using var console = new VirtioConsoleDevice(Stream.Null);
                using var state = new VirtioDeviceState(console, Memory, NoInterrupts.Instance, Loop);
                Refused(() => state.Restore(virtio));
            }
            if (saved["msix"] is JsonObject msix) Refused(() => new MsixTable(3, (_, _, _) => { }, _ => { }).Restore(msix));
        }
    }

    private static void Refused(Action read)
    {
        try
        {
            read();
        }
        catch (SnapshotException e)
        {
            if (e.Message.Contains('\n')) throw new FuzzInvariantException($"a refusal of more than one line: {e.Message}");
        }
    }

    private sealed class NoInterrupts : IVirtioInterrupts
    {
        public static readonly NoInterrupts Instance = new();

        public void SignalUsedBuffers(int queue)
        {
        }

        public void SignalConfigChange()
        {
        }
    }
}
