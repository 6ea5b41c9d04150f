namespace Glue.Devices.Block.Qcow2;

/// <summary>An image Glue refuses to open: the message is one line for the user, naming the file and, where there is one, the fix.</summary>
public sealed class DiskImageError(string message) : Exception(message);
