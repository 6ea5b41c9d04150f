/*
 * PCI configuration space: the registers and capabilities this guest uses, named as in Linux's
 * include/uapi/linux/pci_regs.h (PCI Local Bus 3.0, PCI Express Base 4.0).
 */
#ifndef PCI_REGS_H
#define PCI_REGS_H

/* Type 0 and 1 header, common part (PCI 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00 /* u16; 0xffff: no function there */
#define PCI_DEVICE_ID 0x02 /* u16 */
#define PCI_COMMAND 0x04   /* u16 */
#define PCI_COMMAND_IO 0x1     /* respond to I/O space accesses (6.2.2) */
#define PCI_COMMAND_MEMORY 0x2 /* respond to memory space accesses */
#define PCI_COMMAND_MASTER 0x4 /* bus mastering: DMA and MSI writes */
#define PCI_STATUS 0x06 /* u16 */
#define PCI_STATUS_CAP_LIST 0x10 /* there is a capability list (6.2.3) */
#define PCI_CLASS_REVISION 0x08  /* u32: class, subclass, prog-if, revision (6.2.1) */
#define PCI_HEADER_TYPE 0x0e     /* u8 */
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_MFD 0x80 /* a multi-function device: look at functions 1-7 */

/* Base Address Registers (6.2.5.1). */
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_MASK 0x06
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_BASE_ADDRESS_MEM_MASK 0xfffffff0u
#define PCI_BASE_ADDRESS_IO_MASK 0xfffffffcu
#define PCI_STD_NUM_BARS 6
#define PCI_BRIDGE_NUM_BARS 2

#define PCI_CAPABILITY_LIST 0x34 /* u8: offset of the first capability (6.7) */

/* Type 1 (PCI-to-PCI bridge) header (PCI-to-PCI Bridge 1.2, 3.2). */
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a

/* Capability list entries (6.7). */
#define PCI_CAP_LIST_ID 0
#define PCI_CAP_LIST_NEXT 1
#define PCI_CAP_ID_VNDR 0x09 /* vendor-specific: virtio's structures */
#define PCI_CAP_ID_MSIX 0x11

/* MSI-X capability and table (PCI 3.0, 6.8.2). */
#define PCI_MSIX_FLAGS 2 /* u16 Message Control */
#define PCI_MSIX_FLAGS_QSIZE 0x07ff /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_TABLE 4 /* u32: BIR and offset */
#define PCI_MSIX_TABLE_BIR 0x00000007
#define PCI_MSIX_TABLE_OFFSET 0xfffffff8u
#define PCI_MSIX_PBA 8
#define PCI_MSIX_PBA_BIR 0x00000007
#define PCI_MSIX_PBA_OFFSET 0xfffffff8u
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_LOWER_ADDR 0x0
#define PCI_MSIX_ENTRY_UPPER_ADDR 0x4
#define PCI_MSIX_ENTRY_DATA 0x8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 0xc
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): CONFIG_ADDRESS and CONFIG_DATA. */
#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_CONFIG_ENABLE 0x80000000u

/* The message address of an MSI to a local APIC (Intel SDM Vol. 3A, 11.11.1): physical destination. */
#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_ADDRESS_DEST_ID_SHIFT 12

#endif
