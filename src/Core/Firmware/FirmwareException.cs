namespace Glue.Core.Firmware;

/// <summary>The platform is too large for the space the firmware tables have (too many vCPUs or devices).</summary>
public sealed class FirmwareException(string message) : Exception(message);
