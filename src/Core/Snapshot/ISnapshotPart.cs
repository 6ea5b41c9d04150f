using System.Text.Json.Nodes;

namespace Glue.Core.Snapshot;

/// <summary>
/// A device's (or a transport's) own state in a snapshot: it writes what it keeps to a JSON object and reads it back,
/// beside its code, so the snapshot knows no device. <see cref="Save"/> is called with the VM paused, after every
/// request the device had in flight has finished; <see cref="Restore"/> before the vCPUs first run, on a device
/// attached with the same options. A device reads its fields with <see cref="StateFields"/>, whose errors name the
/// field, and throws <see cref="SnapshotException"/> for a value it cannot take.
/// </summary>
public interface ISnapshotPart
{
    JsonObject Save();

    void Restore(JsonObject state);
}
