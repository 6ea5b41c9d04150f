namespace Glue.Core.Pci;

/// <summary>
/// Class codes a function reports (PCI Code and ID Assignment 1.11: base class, subclass, programming interface 0),
/// named as Linux's include/linux/pci_ids.h names their class and subclass. A guest without the device's driver
/// sees what kind of device it is from these; a virtio driver matches on the device ID only.
/// </summary>
public static class PciClassCodes
{
    public const uint PCI_CLASS_STORAGE_OTHER = 0x018000;
    public const uint PCI_CLASS_NETWORK_ETHERNET = 0x020000;
    public const uint PCI_CLASS_DISPLAY_OTHER = 0x038000;
    public const uint PCI_CLASS_COMMUNICATION_OTHER = 0x078000;
    public const uint PCI_CLASS_INPUT_OTHER = 0x098000;

    /// <summary>pci_ids.h's base class PCI_CLASS_OTHERS (0xff): a device that fits no class.</summary>
    public const uint PCI_CLASS_OTHERS = 0xff0000;
}
