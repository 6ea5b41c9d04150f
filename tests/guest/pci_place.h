/*
 * Addresses for memory BARs, inside the host bridge's memory windows (pci_window.h) and below the
 * 4 GiB this guest maps: for BARs the firmware left unassigned (qboot assigns none) or put above
 * 4 GiB, and for test_virtio_pci's move of a BAR to another free place.
 */
#ifndef PCI_PLACE_H
#define PCI_PLACE_H

#include "pci.h"
#include "pci_window.h"

/*
 * The lowest size-aligned range of size bytes, in a window at or above 1 MiB and below 4 GiB, that
 * overlaps no memory BAR of any function and not the ECAM area. False if there is none.
 */
bool pci_find_free(const struct pci_host_windows *w, uint64_t size, uint64_t *address);

/* Places every memory BAR of a bus-0 function that is unassigned or above 4 GiB; false, with the problem in f, if one does not fit. */
bool pci_place_bars(uint32_t *placed, struct findings *f);

#endif
