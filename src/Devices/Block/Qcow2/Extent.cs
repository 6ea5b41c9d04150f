namespace Glue.Devices.Block.Qcow2;

internal enum ExtentKind { Zero, Data, Backing, Compressed, Done }

/// <summary>
/// A run of guest bytes that one action serves: Data at a host offset, zeroes, the backing file, one compressed
/// cluster (Host holds its L2 entry), or Done (a write already made under the metadata lock).
/// </summary>
internal readonly record struct Extent(ExtentKind Kind, long Host, long Bytes);
