/*
 * The PCI host bridge's memory windows, from the _CRS of the DSDT's root bridge: the one whose
 * resource template has a bus number range that starts at bus 0 (ACPI 6.5, 6.4.3.5 address space
 * descriptors). Enough AML for Name(_CRS, Buffer(){...}), which is how QEMU and Glue give it.
 */
#ifndef PCI_WINDOW_H
#define PCI_WINDOW_H

#include "lib.h"

#define PCI_WINDOWS_MAX 4

struct pci_window {
	uint64_t base, limit; /* inclusive */
};

struct pci_host_windows {
	uint8_t bus_start, bus_end;
	uint32_t count;
	struct pci_window memory[PCI_WINDOWS_MAX];
};

/* False if there is no DSDT or no root bridge _CRS in it. */
bool pci_host_windows(struct pci_host_windows *w);

#endif
