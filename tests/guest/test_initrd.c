/*
 * initrd: with glue.initrd=<size>:<crc32>, PVH module 0 exists and has that size and CRC-32.
 * Without the key, a module that is there is only described; with neither, no line is printed.
 */
#include "report.h"
#include "start_info.h"
#include "tests.h"

/* CRC-32 as in zlib and the `crc32` tool: reflected polynomial 0xedb88320, init and final XOR ~0. */
#define CRC32_POLY_REFLECTED 0xedb88320u

static uint32_t crc32(const uint8_t *p, uint64_t n)
{
	static uint32_t table[256];
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
			table[i] = c;
		}
	}
	uint32_t crc = ~0u;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void test_initrd(const struct options *options)
{
	const struct hvm_modlist_entry *m = &boot_info.module0;
	if (!options->initrd_given && boot_info.nr_modules == 0)
		return;
	if (options->initrd_given && !options->initrd_valid) {
		test_report("initrd", false, "glue.initrd is not <decimal size>:<8 lowercase hex digits>");
		return;
	}
	if (boot_info.nr_modules == 0) {
		test_report("initrd", false, "no module (nr_modules is 0)");
		return;
	}
	if (!boot_info.module0_copied || m->paddr + m->size < m->paddr || m->paddr + m->size > (1ull << 32)) {
		test_report("initrd", false, "module 0 (or its list) is not below 4 GiB where this guest can read it");
		return;
	}

	uint32_t crc = crc32((const uint8_t *)(uintptr_t)m->paddr, m->size);
	if (!options->initrd_given) {
		test_report("initrd", true, "module 0 at 0x%lx size %lu crc32 %08x (no glue.initrd to compare)", m->paddr,
			    m->size, crc);
		return;
	}
	bool pass = m->size == options->initrd_size && crc == options->initrd_crc;
	test_report("initrd", pass, "module 0 at 0x%lx size %lu crc32 %08x, expected size %lu crc32 %08x", m->paddr,
		    m->size, crc, options->initrd_size, options->initrd_crc);
}
