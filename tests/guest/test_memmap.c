/*
 * memmap: the PVH memory map is sane (RAM entries non-empty, none overlapping another) and, with
 * glue.mem=<MiB>, its RAM adds up to between MiB - 1 and MiB MiB (a VMM may keep back a little,
 * such as the legacy hole below 1 MiB). RAM above 4 GiB counts too.
 */
#include "format.h"
#include "report.h"
#include "start_info.h"
#include "tests.h"

#define MIB (1ull << 20)

static bool overlap(const struct hvm_memmap_table_entry *a, const struct hvm_memmap_table_entry *b)
{
	return a->addr < b->addr + b->size && b->addr < a->addr + a->size;
}

/* Empty when the map is sane, else what is wrong with it. */
static void check_sane(char *problem, size_t size, uint32_t n)
{
	problem[0] = '\0';
	if (boot_info.version < 1)
		format_buffer(problem, size, "start_info version %u has no memory map", boot_info.version);
	else if (n == 0)
		format_buffer(problem, size, "no memory map entries");
	else if (boot_info.memmap_entries > BOOT_MEMMAP_MAX)
		format_buffer(problem, size, "%u entries, more than the %u this guest reads", boot_info.memmap_entries,
			      BOOT_MEMMAP_MAX);
	for (uint32_t i = 0; i < n && !problem[0]; i++) {
		const struct hvm_memmap_table_entry *a = &boot_info.memmap[i];
		if (a->type != XEN_HVM_MEMMAP_TYPE_RAM)
			continue;
		if (a->size == 0 || a->addr + a->size < a->addr)
			format_buffer(problem, size, "RAM entry %u (0x%lx+0x%lx) is empty or wraps", i, a->addr, a->size);
		for (uint32_t j = i + 1; j < n && !problem[0]; j++) {
			const struct hvm_memmap_table_entry *b = &boot_info.memmap[j];
			if (b->type == XEN_HVM_MEMMAP_TYPE_RAM && overlap(a, b))
				format_buffer(problem, size, "RAM entries %u (0x%lx+0x%lx) and %u (0x%lx+0x%lx) overlap", i,
					      a->addr, a->size, j, b->addr, b->size);
		}
	}
}

void test_memmap(const struct options *options)
{
	uint32_t n = boot_info.memmap_entries < BOOT_MEMMAP_MAX ? boot_info.memmap_entries : BOOT_MEMMAP_MAX;
	uint64_t ram = 0;
	uint32_t ram_entries = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (boot_info.memmap[i].type == XEN_HVM_MEMMAP_TYPE_RAM) {
			ram += boot_info.memmap[i].size;
			ram_entries++;
		}
	}

	char problem[160];
	check_sane(problem, sizeof(problem), n);
	if (!problem[0] && ram_entries == 0)
		format_buffer(problem, sizeof(problem), "no RAM entries");

	char summary[96];
	format_buffer(summary, sizeof(summary), "ram %lu KiB in %u of %u entries", ram >> 10, ram_entries, n);

	if (problem[0])
		test_report("memmap", false, "%s: %s", summary, problem);
	else if (options->mem_given && !options->mem_valid)
		test_report("memmap", false, "%s: glue.mem is not a number of MiB", summary);
	else if (options->mem_given) {
		uint64_t want = options->mem_mib;
		bool pass = ram >= (want - 1) * MIB && ram <= want * MIB;
		test_report("memmap", pass, "%s, expected %lu-%lu MiB", summary, want - 1, want);
	} else
		test_report("memmap", true, "%s", summary);
}
