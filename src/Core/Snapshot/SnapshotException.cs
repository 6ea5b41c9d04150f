namespace Glue.Core.Snapshot;

/// <summary>A snapshot that cannot be written or used, said in one line that names the part.</summary>
public sealed class SnapshotException(string message) : Exception(message);
