namespace Glue.Core.Firmware;

/// <summary>What the firmware tables tell the guest: how many vCPUs, and the devices it cannot probe for.</summary>
public sealed record PlatformDescription(int Cpus, IReadOnlyList<PlatformDevice> Devices);

/// <summary>
/// A device the guest finds through the DSDT: its 4-character ACPI name ("COM1", "VR00"), its _HID (an EISA id
/// such as "PNP0501" is encoded as one, anything else such as "LNRO0005" as a string), its _UID and its _CRS.
/// </summary>
public sealed record PlatformDevice(string AcpiName, string Hid, uint Uid, IReadOnlyList<DeviceResource> Resources);
