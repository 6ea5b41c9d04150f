using System.Text.Json.Nodes;

namespace Glue.Core.Snapshot;

/// <summary>
/// A device's (or a transport's) own state in a snapshot: it writes what it keeps to a JSON object and reads it back,
/// beside its code, so the snapshot knows no device. <see cref="Save"/> is called with the VM paused; a part that
/// touches guest memory on its own (a virtio device's queues) finishes what it has in flight and then holds still
/// until <see cref="AfterSave"/>, so that RAM, written in between, matches the state it returned. <see cref="Restore"/>
/// runs before the vCPUs exist, on a device attached with the same options; <see cref="AfterRestore"/> once every
/// vCPU has its saved state and before any runs, which is when a part may interrupt the guest again. A device reads
/// its fields with <see cref="StateFields"/>, whose errors name the field, and throws <see cref="SnapshotException"/>
/// for a value it cannot take.
/// </summary>
public interface ISnapshotPart
{
    JsonObject Save();

    /// <summary>The snapshot is written (or failed to be): a part that held still in <see cref="Save"/> carries on.</summary>
    void AfterSave()
    {
    }

    void Restore(JsonObject state);

    /// <summary>Every vCPU has its saved state: a part starts serving the guest again.</summary>
    void AfterRestore()
    {
    }
}
