/*
 * Copies the PVH start_info and what it points to into our .bss. The VMM put them in low memory
 * (Glue below 0x30000, QEMU wherever its option ROM likes), which the SMP test later overwrites
 * with the AP trampoline, so this runs first.
 */
#include "start_info.h"

/* EBX at the PVH entry, saved by entry.S. */
extern uint32_t pvh_start_info_paddr;

struct boot_info boot_info;

/* Physical memory below 4 GiB is identity-mapped; above it nothing is. */
static bool mapped(uint64_t paddr, uint64_t size)
{
	return paddr < (1ull << 32) && size <= (1ull << 32) - paddr;
}

static void copy_cmdline(uint64_t paddr)
{
	boot_info.cmdline_paddr = paddr;
	if (paddr == 0 || !mapped(paddr, 1))
		return;
	const char *src = (const char *)(uintptr_t)paddr;
	size_t n = 0;
	while (n < BOOT_CMDLINE_MAX - 1 && mapped(paddr + n, 1) && src[n]) {
		boot_info.cmdline[n] = src[n];
		n++;
	}
	boot_info.cmdline[n] = '\0';
	boot_info.cmdline_truncated = n == BOOT_CMDLINE_MAX - 1 && src[n];
}

bool boot_info_copy(void)
{
	boot_info.start_info_paddr = pvh_start_info_paddr;
	const struct hvm_start_info *si = (const struct hvm_start_info *)(uintptr_t)pvh_start_info_paddr;
	boot_info.magic = si->magic;
	if (si->magic != XEN_HVM_START_MAGIC_VALUE)
		return false;
	boot_info.version = si->version;

	copy_cmdline(si->cmdline_paddr);
	boot_info.rsdp_paddr = si->rsdp_paddr;

	if (si->version >= 1 && si->memmap_paddr) {
		uint32_t n = si->memmap_entries;
		boot_info.memmap_entries = n;
		if (n > BOOT_MEMMAP_MAX)
			n = BOOT_MEMMAP_MAX;
		if (mapped(si->memmap_paddr, (uint64_t)n * sizeof(struct hvm_memmap_table_entry)))
			memcpy(boot_info.memmap, (const void *)(uintptr_t)si->memmap_paddr,
			       n * sizeof(struct hvm_memmap_table_entry));
		else
			boot_info.memmap_entries = 0;
	}

	boot_info.nr_modules = si->nr_modules;
	if (si->nr_modules > 0 && mapped(si->modlist_paddr, sizeof(struct hvm_modlist_entry))) {
		boot_info.module0 = *(const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
		boot_info.module0_copied = true;
	}
	return true;
}

bool boot_memmap_overlaps_ram(uint64_t addr, uint64_t size)
{
	uint32_t n = boot_info.memmap_entries < BOOT_MEMMAP_MAX ? boot_info.memmap_entries : BOOT_MEMMAP_MAX;
	for (uint32_t i = 0; i < n; i++) {
		const struct hvm_memmap_table_entry *e = &boot_info.memmap[i];
		if (e->type == XEN_HVM_MEMMAP_TYPE_RAM && addr < e->addr + e->size && e->addr < addr + size)
			return true;
	}
	return false;
}
