/*
 * The PVH boot information, and our copy of the parts we use. The structures follow Xen's
 * public/arch-x86/hvm/start_info.h, which defines the PVH boot ABI.
 */
#ifndef START_INFO_H
#define START_INFO_H

#include "lib.h"

/* "xEn3" with the 0x80 bit of the "E" set (Xen's start_info.h). */
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578
/* Memory map entry types, as in the e820 map (Xen's start_info.h). */
#define XEN_HVM_MEMMAP_TYPE_RAM 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr; /* array of struct hvm_modlist_entry */
	uint64_t cmdline_paddr; /* NUL-terminated */
	uint64_t rsdp_paddr;
	/* Version 1 and later: */
	uint64_t memmap_paddr; /* array of struct hvm_memmap_table_entry */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

#define BOOT_CMDLINE_MAX 2048
#define BOOT_MEMMAP_MAX 128

/* Everything the tests need, copied out of start_info before low memory is reused. */
struct boot_info {
	uint32_t start_info_paddr;
	uint32_t magic;
	uint32_t version;

	uint64_t cmdline_paddr;
	char cmdline[BOOT_CMDLINE_MAX];
	bool cmdline_truncated;

	uint64_t rsdp_paddr; /* 0 if the VMM did not say where the ACPI RSDP is */

	uint32_t memmap_entries; /* as start_info says; at most BOOT_MEMMAP_MAX are copied */
	struct hvm_memmap_table_entry memmap[BOOT_MEMMAP_MAX];

	uint32_t nr_modules;
	bool module0_copied;              /* false if nr_modules is 0 or the list is above 4 GiB */
	struct hvm_modlist_entry module0;
};

extern struct boot_info boot_info;

/* Copies from the start_info the VMM passed in EBX. Returns false if its magic is wrong. */
bool boot_info_copy(void);

/* True if [addr, addr + size) overlaps a RAM entry of the memory map (firmware tables must not). */
bool boot_memmap_overlaps_ram(uint64_t addr, uint64_t size);

#endif
