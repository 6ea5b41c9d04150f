/*
 * MSI-X (PCI 3.0, 6.8.2): the capability, its table and pending bit array in a memory BAR, and each
 * table entry's message: fixed delivery of a vector to one local APIC (Intel SDM Vol. 3A, 11.11).
 */
#ifndef MSIX_H
#define MSIX_H

#include "pci.h"

struct msix {
	uint8_t cap;         /* the capability's offset in configuration space */
	uint16_t table_size; /* entries */
	uint8_t table_bar, pba_bar;
	uint32_t table_offset, pba_offset;
	uintptr_t table, pba; /* where they are now (msix_locate) */
};

/* Reads fn's MSI-X capability and locates the table and PBA; false, with the problem in f, if unusable. */
bool msix_find(const struct pci_function *fn, struct msix *m, struct findings *f);
/* Recomputes the table and PBA addresses from the BARs (after a BAR moved). False if a BAR is not below 4 GiB. */
bool msix_locate(const struct pci_function *fn, struct msix *m);
/* Sets MSI-X Enable, clears Function Mask. */
void msix_enable(const struct pci_function *fn, const struct msix *m);
/* Writes an entry's message (vector to this APIC ID) and leaves its mask bit as it is. */
void msix_program(const struct msix *m, uint16_t entry, uint8_t apic_id, uint8_t vector);
void msix_mask(const struct msix *m, uint16_t entry, bool masked);
bool msix_masked(const struct msix *m, uint16_t entry);
/* The entry's pending bit in the PBA. */
bool msix_pending(const struct msix *m, uint16_t entry);

#endif
