namespace Glue.Core.Pci;

/// <summary>
/// Configuration space offsets and bits of a type 0 header (PCI Local Bus 3.0, 6.1-6.2; PCI Express Base 4.0,
/// 7.5.1) and of the MSI-X capability (PCI 3.0, 6.8.2), named as Linux's include/uapi/linux/pci_regs.h names them.
/// </summary>
public static class PciRegisters
{
    public const int PCI_VENDOR_ID = 0x00;            // 16 bits
    public const int PCI_DEVICE_ID = 0x02;            // 16 bits
    public const int PCI_COMMAND = 0x04;              // 16 bits
    public const int PCI_STATUS = 0x06;               // 16 bits
    public const int PCI_REVISION_ID = 0x08;
    public const int PCI_CLASS_PROG = 0x09;           // the 24-bit class code: prog-if, subclass, class
    public const int PCI_CACHE_LINE_SIZE = 0x0c;
    public const int PCI_LATENCY_TIMER = 0x0d;
    public const int PCI_HEADER_TYPE = 0x0e;
    public const int PCI_BASE_ADDRESS_0 = 0x10;       // six 32-bit BARs to 0x27
    public const int PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
    public const int PCI_SUBSYSTEM_ID = 0x2e;
    public const int PCI_ROM_ADDRESS = 0x30;
    public const int PCI_CAPABILITY_LIST = 0x34;
    public const int PCI_INTERRUPT_LINE = 0x3c;
    public const int PCI_INTERRUPT_PIN = 0x3d;

    public const ushort PCI_COMMAND_IO = 0x1;
    public const ushort PCI_COMMAND_MEMORY = 0x2;
    public const ushort PCI_COMMAND_MASTER = 0x4;
    public const ushort PCI_COMMAND_INTX_DISABLE = 0x400;

    public const ushort PCI_STATUS_CAP_LIST = 0x10;

    public const byte PCI_HEADER_TYPE_NORMAL = 0;

    public const uint PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
    public const uint PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;

    /// <summary>Where the capability list may start: the first byte after the type 0 header.</summary>
    public const int CapabilitiesStart = 0x40;

    /// <summary>The conventional configuration space; ECAM's extended space (to 4 KiB) has no capabilities here.</summary>
    public const int ConventionalSize = 0x100;

    public const byte PCI_CAP_ID_VNDR = 0x09;
    public const byte PCI_CAP_ID_MSIX = 0x11;

    // MSI-X capability (offsets from the capability).
    public const int PCI_MSIX_FLAGS = 2;                  // Message Control, 16 bits
    public const ushort PCI_MSIX_FLAGS_QSIZE = 0x07ff;    // table size - 1
    public const ushort PCI_MSIX_FLAGS_MASKALL = 0x4000;  // function mask
    public const ushort PCI_MSIX_FLAGS_ENABLE = 0x8000;
    public const int PCI_MSIX_TABLE = 4;                  // table offset | BIR
    public const int PCI_MSIX_PBA = 8;                    // PBA offset | BIR
    public const int PCI_CAP_MSIX_SIZEOF = 12;

    // MSI-X table entries.
    public const int PCI_MSIX_ENTRY_SIZE = 16;
    public const int PCI_MSIX_ENTRY_LOWER_ADDR = 0;
    public const int PCI_MSIX_ENTRY_UPPER_ADDR = 4;
    public const int PCI_MSIX_ENTRY_DATA = 8;
    public const int PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
    public const uint PCI_MSIX_ENTRY_CTRL_MASKBIT = 0x1;

    /// <summary>Class code of a host bridge (PCI Code and ID Assignment 1.11: base class 06, subclass 00).</summary>
    public const uint PCI_CLASS_BRIDGE_HOST = 0x060000;
}
