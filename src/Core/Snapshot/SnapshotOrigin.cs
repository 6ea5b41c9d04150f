namespace Glue.Core.Snapshot;

/// <summary>The glue that writes or reads a snapshot: its version, and the manifest it was built from.</summary>
public sealed record SnapshotOrigin(string GlueVersion, string Manifest);
