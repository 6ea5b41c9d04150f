/*
 * PCI configuration space, both ways to reach it: configuration mechanism #1 (ports 0xcf8/0xcfc,
 * PCI 3.0, 3.2.2.3.2; port I/O is allowed at CPL3 by the TSS I/O bitmap) and ECAM (PCI Express 4.0,
 * 7.2.2), whose base comes from the ACPI MCFG table (PCI Firmware 3.2, 4.1.2). Enumeration walks bus
 * by bus from the first, into the secondary bus of every PCI-to-PCI bridge, and sizes every BAR.
 */
#ifndef PCI_H
#define PCI_H

#include "pci_regs.h"
#include "report.h"

#define PCI_FUNCTIONS_MAX 64

enum pci_mechanism { PCI_MECHANISM_1, PCI_MECHANISM_ECAM };

struct pci_bar {
	uint64_t address; /* what the BAR holds (0: not assigned) */
	uint64_t size;    /* 0: no BAR here (or the upper half of a 64-bit one) */
	bool io, is64, prefetchable;
};

struct pci_function {
	uint8_t bus, device, function;
	uint16_t vendor_id, device_id;
	uint32_t class_revision; /* class, subclass, prog-if, revision */
	uint8_t header_type;     /* without the multi-function bit */
	struct pci_bar bars[PCI_STD_NUM_BARS];
};

/* The ECAM area of segment 0, from MCFG. */
struct pci_ecam {
	bool found;
	uint64_t base;
	uint8_t start_bus, end_bus;
};

/* What pci_init found: the ECAM, and the functions (enumerated through ECAM if there is one, else mechanism #1). */
extern struct pci_ecam pci_ecam;
extern struct pci_function pci_functions[PCI_FUNCTIONS_MAX];
extern uint32_t pci_function_count;

/*
 * Reads MCFG, enumerates through mechanism #1 (force_mechanism_1) or ECAM, sizes every BAR. False,
 * with the problem in f, if MCFG is unusable or there are more functions than PCI_FUNCTIONS_MAX.
 * Without MCFG and without force_mechanism_1 it looks for nothing and finds nothing.
 */
bool pci_init(bool force_mechanism_1, struct findings *f);
/* Whether pci_init has run (test_pci runs it; virtio_discover does if nothing did). */
bool pci_initialized(void);

/* Enumerates through one mechanism into out (up to max; IDs and header only); returns how many. */
uint32_t pci_enumerate(enum pci_mechanism mechanism, struct pci_function *out, uint32_t max);

/* Configuration reads and writes at their natural width, through ECAM if there is one, else mechanism #1. */
uint32_t pci_read32(const struct pci_function *fn, uint16_t offset);
uint16_t pci_read16(const struct pci_function *fn, uint16_t offset);
uint8_t pci_read8(const struct pci_function *fn, uint16_t offset);
void pci_write32(const struct pci_function *fn, uint16_t offset, uint32_t value);
void pci_write16(const struct pci_function *fn, uint16_t offset, uint16_t value);

/* The offset of the first capability with this ID at or after `after`'s successor (0: from the start); 0 if none. */
uint8_t pci_find_capability(const struct pci_function *fn, uint8_t id, uint8_t after);

/* Rewrites memory BAR i (and its upper half) with address, decoding off meanwhile; re-reads it into fn. */
void pci_move_bar(struct pci_function *fn, unsigned i, uint64_t address);

#endif
