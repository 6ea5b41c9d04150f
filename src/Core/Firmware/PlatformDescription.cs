using Glue.Core.Memory;

namespace Glue.Core.Firmware;

/// <summary>
/// What the firmware tables tell the guest: how many vCPUs, the devices it cannot probe for, and the PCI ECAM
/// window when the machine has a PCI bus (an MCFG table then describes it).
/// </summary>
public sealed record PlatformDescription(int Cpus, IReadOnlyList<PlatformDevice> Devices, EcamWindow? Ecam = null);

/// <summary>
/// A device the guest finds through the DSDT: its 4-character ACPI name ("COM1", "VR00"), its _HID (an EISA id
/// such as "PNP0501" is encoded as one, anything else such as "LNRO0005" as a string), its _UID, its _CRS, and an
/// optional _CID (a PCI Express host bridge PNP0A08 is also compatible with the PCI host bridge PNP0A03).
/// </summary>
public sealed record PlatformDevice(string AcpiName, string Hid, uint Uid, IReadOnlyList<DeviceResource> Resources, string? Cid = null);

/// <summary>
/// An ECAM window (PCI Express Base 4.0, 7.2.2): 1 MiB of configuration space per bus from <see cref="StartBus"/> to
/// <see cref="EndBus"/> of PCI segment group <see cref="Segment"/>, at <see cref="Base"/> (bus 0's place, as MCFG gives it).
/// </summary>
public sealed record EcamWindow(GuestAddress Base, ushort Segment, byte StartBus, byte EndBus)
{
    public const ulong BytesPerBus = 1 << 20;

    public ulong Size => (ulong)(EndBus - StartBus + 1) * BytesPerBus;
}
