#include "pci_place.h"

#define FOUR_GIB (1ull << 32)
#define ONE_MIB (1ull << 20)

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* The first thing in use that [address, address + size) overlaps: its end, or 0 if it is free. */
static uint64_t conflict_end(uint64_t address, uint64_t size)
{
	if (pci_ecam.found) {
		uint64_t ecam_size = (uint64_t)(pci_ecam.end_bus - pci_ecam.start_bus + 1) << 20;
		if (overlaps(address, size, pci_ecam.base, ecam_size))
			return pci_ecam.base + ecam_size;
	}
	for (uint32_t i = 0; i < pci_function_count; i++)
		for (unsigned b = 0; b < PCI_STD_NUM_BARS; b++) {
			const struct pci_bar *bar = &pci_functions[i].bars[b];
			if (!bar->io && bar->size && bar->address && overlaps(address, size, bar->address, bar->size))
				return bar->address + bar->size;
		}
	return 0;
}

bool pci_find_free(const struct pci_host_windows *w, uint64_t size, uint64_t *address)
{
	for (uint32_t i = 0; i < w->count; i++) {
		uint64_t base = w->memory[i].base < ONE_MIB ? ONE_MIB : w->memory[i].base;
		uint64_t limit = w->memory[i].limit < FOUR_GIB ? w->memory[i].limit : FOUR_GIB - 1;
		uint64_t a = (base + size - 1) / size * size;
		while (a + size - 1 <= limit && a + size > a) {
			uint64_t end = conflict_end(a, size);
			if (end == 0) {
				*address = a;
				return true;
			}
			a = (end + size - 1) / size * size;
		}
	}
	return false;
}

bool pci_place_bars(uint32_t *placed, struct findings *f)
{
	struct pci_host_windows w;
	bool have_windows = pci_host_windows(&w);
	*placed = 0;
	for (uint32_t i = 0; i < pci_function_count; i++) {
		struct pci_function *fn = &pci_functions[i];
		for (unsigned b = 0; b < PCI_STD_NUM_BARS; b++) {
			struct pci_bar *bar = &fn->bars[b];
			if (bar->io || bar->size == 0 || fn->bus != 0 || (bar->address && bar->address + bar->size <= FOUR_GIB))
				continue;
			uint64_t address;
			if (!have_windows)
				return problem(f, "%02x:%02x.%u BAR %u is at 0x%lx, and there is no root bridge _CRS to place it in",
					       fn->bus, fn->device, fn->function, b, bar->address);
			if (!pci_find_free(&w, bar->size, &address))
				return problem(f, "%02x:%02x.%u BAR %u (0x%lx bytes at 0x%lx): no room in the windows below 4 GiB",
					       fn->bus, fn->device, fn->function, b, bar->size, bar->address);
			pci_move_bar(fn, b, address);
			if (fn->bars[b].address != address)
				return problem(f, "%02x:%02x.%u BAR %u reads 0x%lx after writing 0x%lx", fn->bus, fn->device,
					       fn->function, b, fn->bars[b].address, address);
			(*placed)++;
		}
	}
	return true;
}
