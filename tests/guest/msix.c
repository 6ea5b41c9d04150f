#include "msix.h"

#define FOUR_GIB (1ull << 32)

static bool locate(const struct pci_function *fn, uint8_t bar, uint32_t offset, uint32_t bytes, uintptr_t *address)
{
	const struct pci_bar *b = &fn->bars[bar];
	if (bar >= PCI_STD_NUM_BARS || b->io || b->size == 0 || offset + (uint64_t)bytes > b->size || b->address == 0 ||
	    b->address + b->size > FOUR_GIB)
		return false;
	*address = (uintptr_t)(b->address + offset);
	return true;
}

bool msix_locate(const struct pci_function *fn, struct msix *m)
{
	return locate(fn, m->table_bar, m->table_offset, m->table_size * PCI_MSIX_ENTRY_SIZE, &m->table) &&
	       locate(fn, m->pba_bar, m->pba_offset, (m->table_size + 63) / 64 * 8, &m->pba);
}

bool msix_find(const struct pci_function *fn, struct msix *m, struct findings *f)
{
	*m = (struct msix){ .cap = pci_find_capability(fn, PCI_CAP_ID_MSIX, 0) };
	if (!m->cap)
		return problem(f, "no MSI-X capability");
	m->table_size = (uint16_t)((pci_read16(fn, m->cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1);
	uint32_t table = pci_read32(fn, m->cap + PCI_MSIX_TABLE), pba = pci_read32(fn, m->cap + PCI_MSIX_PBA);
	m->table_bar = table & PCI_MSIX_TABLE_BIR;
	m->table_offset = table & PCI_MSIX_TABLE_OFFSET;
	m->pba_bar = pba & PCI_MSIX_PBA_BIR;
	m->pba_offset = pba & PCI_MSIX_PBA_OFFSET;
	if (!msix_locate(fn, m))
		return problem(f, "MSI-X table (BAR %u + 0x%x) or PBA (BAR %u + 0x%x) is not inside an assigned memory BAR "
				  "below 4 GiB", m->table_bar, m->table_offset, m->pba_bar, m->pba_offset);
	return true;
}

void msix_enable(const struct pci_function *fn, const struct msix *m)
{
	uint16_t control = pci_read16(fn, m->cap + PCI_MSIX_FLAGS);
	pci_write16(fn, m->cap + PCI_MSIX_FLAGS, (control | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
}

static uintptr_t entry_address(const struct msix *m, uint16_t entry)
{
	return m->table + (uintptr_t)entry * PCI_MSIX_ENTRY_SIZE;
}

void msix_program(const struct msix *m, uint16_t entry, uint8_t apic_id, uint8_t vector)
{
	uintptr_t e = entry_address(m, entry);
	mmio_write32(e + PCI_MSIX_ENTRY_LOWER_ADDR, MSI_ADDRESS_BASE | (uint32_t)apic_id << MSI_ADDRESS_DEST_ID_SHIFT);
	mmio_write32(e + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	mmio_write32(e + PCI_MSIX_ENTRY_DATA, vector); /* fixed delivery, edge */
}

void msix_mask(const struct msix *m, uint16_t entry, bool masked)
{
	uintptr_t control = entry_address(m, entry) + PCI_MSIX_ENTRY_VECTOR_CTRL;
	uint32_t value = mmio_read32(control);
	mmio_write32(control, masked ? value | PCI_MSIX_ENTRY_CTRL_MASKBIT : value & ~PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

bool msix_masked(const struct msix *m, uint16_t entry)
{
	return mmio_read32(entry_address(m, entry) + PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

bool msix_pending(const struct msix *m, uint16_t entry)
{
	return mmio_read32(m->pba + entry / 32 * 4) >> (entry % 32) & 1;
}
