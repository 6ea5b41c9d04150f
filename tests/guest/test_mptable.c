/*
 * mptable: with glue.mptable=1, the Intel MultiProcessor Specification 1.4 tables are there and
 * consistent: the 16-byte floating pointer "_MP_" on a 16-byte boundary in the first KiB of the
 * EBDA at 0x9fc00 (also the last KiB of 640 KiB base memory) or in 0xf0000-0xfffff (MP spec 4), its
 * checksum, a "PCMP" configuration table (no default configuration) with a valid checksum (and
 * extended-table checksum), entries of known types only, the enabled processors exactly APIC IDs
 * 0..glue.cpus-1 with the BSP flag on exactly one of them, the BSP's own, and an enabled I/O APIC at
 * 0xfec00000. Neither structure may lie in RAM of the memory map. With glue.mptable=0 there must be
 * no floating pointer in those ranges.
 */
#include "apic_set.h"
#include "lapic.h"
#include "report.h"
#include "start_info.h"
#include "tests.h"

#define LAPIC_ADDRESS 0xfee00000
#define IOAPIC_ADDRESS 0xfec00000

/* MP floating pointer structure (MP spec 1.4, 4.1). */
struct __attribute__((packed)) mp_floating_pointer {
	char signature[4]; /* "_MP_" */
	uint32_t config_table;
	uint8_t length; /* in 16-byte units: 1 */
	uint8_t spec_rev; /* 1 (1.1) or 4 (1.4) */
	uint8_t checksum;
	uint8_t features[5]; /* features[0] != 0: a default configuration, no table */
};

/* MP configuration table header (MP spec 1.4, 4.2). */
struct __attribute__((packed)) mp_config_header {
	char signature[4]; /* "PCMP" */
	uint16_t base_length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t local_apic_address;
	uint16_t extended_length;
	uint8_t extended_checksum;
	uint8_t reserved;
};

/* Base table entries (MP spec 1.4, 4.3): the type byte, then these; processors 20 bytes, others 8. */
#define MP_PROCESSOR 0
#define MP_BUS 1
#define MP_IO_APIC 2
#define MP_IO_INTERRUPT 3
#define MP_LOCAL_INTERRUPT 4
#define MP_PROCESSOR_BYTES 20
#define MP_OTHER_ENTRY_BYTES 8
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01

struct __attribute__((packed)) mp_processor {
	uint8_t type;
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t cpu_flags;
	uint32_t signature;
	uint32_t feature_flags;
	uint32_t reserved[2];
};

struct __attribute__((packed)) mp_io_apic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t address;
};

static const struct {
	uintptr_t start, end;
} search_ranges[] = {
	{ 0x9fc00, 0xa0000 },   /* the first KiB of the EBDA, which is also the last KiB below 640 KiB */
	{ 0xf0000, 0x100000 },  /* the BIOS ROM */
};

static const struct mp_floating_pointer *find_floating_pointer(void)
{
	for (size_t r = 0; r < ARRAY_SIZE(search_ranges); r++)
		for (uintptr_t p = search_ranges[r].start; p < search_ranges[r].end; p += 16)
			if (memcmp((const void *)p, "_MP_", 4) == 0)
				return (const struct mp_floating_pointer *)p;
	return NULL;
}

static uint8_t byte_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (n--)
		sum += *b++;
	return sum;
}

static bool check_not_ram(struct findings *f, const char *what, uint64_t address, uint64_t length)
{
	if (boot_memmap_overlaps_ram(address, length))
		return problem(f, "%s at 0x%lx+0x%lx is in RAM of the memory map", what, address, length);
	return true;
}

static bool check_floating_pointer(struct findings *f, const struct mp_floating_pointer *mpf)
{
	found(f, " rev 1.%u", mpf->spec_rev);
	if (mpf->length != 1)
		return problem(f, "floating pointer length %u paragraphs, expected 1", mpf->length);
	if (byte_sum(mpf, 16) != 0)
		return problem(f, "the floating pointer checksum is bad");
	if (mpf->spec_rev != 1 && mpf->spec_rev != 4)
		return problem(f, "spec revision %u, expected 1 or 4", mpf->spec_rev);
	if (mpf->features[0] != 0)
		return problem(f, "default configuration %u instead of a configuration table", mpf->features[0]);
	if (mpf->config_table == 0 || mpf->config_table > 0xffff0000) /* the header's 16-bit lengths stay mapped */
		return problem(f, "configuration table address 0x%x", mpf->config_table);
	return check_not_ram(f, "the floating pointer", (uintptr_t)mpf, 16);
}

static bool check_header(struct findings *f, const struct mp_config_header *h)
{
	if (memcmp(h->signature, "PCMP", 4) != 0)
		return problem(f, "no PCMP signature at 0x%lx", (uint64_t)(uintptr_t)h);
	if (h->base_length < sizeof(*h))
		return problem(f, "base table length %u", h->base_length);
	if (byte_sum(h, h->base_length) != 0)
		return problem(f, "the configuration table checksum is bad");
	if (h->extended_length &&
	    (uint8_t)(byte_sum((const uint8_t *)h + h->base_length, h->extended_length) + h->extended_checksum) != 0)
		return problem(f, "the extended table checksum is bad");
	if (h->local_apic_address != LAPIC_ADDRESS)
		return problem(f, "local APIC address 0x%x, expected 0x%x", h->local_apic_address, LAPIC_ADDRESS);
	return check_not_ram(f, "the configuration table", (uintptr_t)h, (uint64_t)h->base_length + h->extended_length);
}

/*
 * Walks the entries by the base table length, as Linux does (arch/x86/kernel/mpparse.c): QEMU's
 * firmware (qboot) writes an entry count of 0. A non-zero count must match the walk.
 */
static void check_entries(struct findings *f, const struct mp_config_header *h, uint32_t cpus)
{
	struct apic_set enabled = { 0 };
	uint32_t entries = 0, bsps = 0, bsp_id = 0;
	const struct mp_io_apic *ioapic = NULL;
	const uint8_t *p = (const uint8_t *)(h + 1), *end = (const uint8_t *)h + h->base_length;
	for (; p < end; p += *p == MP_PROCESSOR ? MP_PROCESSOR_BYTES : MP_OTHER_ENTRY_BYTES, entries++) {
		uint32_t size = *p == MP_PROCESSOR ? MP_PROCESSOR_BYTES : MP_OTHER_ENTRY_BYTES;
		if (*p > MP_LOCAL_INTERRUPT || p + size > end) {
			problem(f, "entry %u (type %u at offset %u) is of no known type or runs past the table", entries, *p,
				(uint32_t)(p - (const uint8_t *)h));
			return;
		}
		if (*p == MP_PROCESSOR) {
			const struct mp_processor *cpu = (const void *)p;
			if (cpu->cpu_flags & MP_CPU_ENABLED) {
				apic_set_add(&enabled, cpu->lapic_id);
				if (cpu->cpu_flags & MP_CPU_BSP) {
					bsps++;
					bsp_id = cpu->lapic_id;
				}
			}
		} else if (*p == MP_IO_APIC) {
			const struct mp_io_apic *io = (const void *)p;
			if (io->address == IOAPIC_ADDRESS && (io->flags & MP_IOAPIC_ENABLED) && !ioapic)
				ioapic = io;
		}
	}

	found(f, " %u entries", entries);
	if (h->entry_count != entries)
		found(f, " (header: %u)", h->entry_count);
	found(f, ", cpus %u apic-ids ", enabled.count);
	apic_set_append(&enabled, f->found, sizeof(f->found));
	if (bsps == 1)
		found(f, " bsp %u", bsp_id);
	if (ioapic)
		found(f, ", ioapic 0x%x id %u", ioapic->address, ioapic->id);

	if (h->entry_count != 0 && h->entry_count != entries)
		problem(f, "the header counts %u entries, the table has %u", h->entry_count, entries);
	else if (!apic_set_is_first(&enabled, cpus))
		problem(f, "expected %u enabled processors with APIC IDs 0-%u", cpus, cpus - 1);
	else if (bsps != 1)
		problem(f, "%u enabled processors have the BSP flag, expected 1", bsps);
	else if (bsp_id != lapic_id())
		problem(f, "the BSP flag is on APIC ID %u, the BSP is %u", bsp_id, lapic_id());
	else if (!ioapic)
		problem(f, "no enabled I/O APIC at 0x%x", IOAPIC_ADDRESS);
}

void test_mptable(const struct options *options)
{
	if (options->mptable == EXPECT_UNSTATED)
		return;
	if (options->mptable == EXPECT_INVALID) {
		test_report("mptable", false, "glue.mptable is not 1 or 0");
		return;
	}
	struct findings f = { 0 };
	const struct mp_floating_pointer *mpf = find_floating_pointer();
	if (!mpf) {
		found(&f, "no _MP_ in 0x9fc00-0x9ffff or 0xf0000-0xfffff");
		if (options->mptable == EXPECT_PRESENT)
			problem(&f, "expected one (glue.mptable=1)");
	} else {
		found(&f, "_MP_ 0x%lx", (uint64_t)(uintptr_t)mpf);
		if (options->mptable == EXPECT_ABSENT)
			problem(&f, "expected none (glue.mptable=0)");
		else if (!options->cpus_valid)
			problem(&f, "glue.cpus is not a positive number");
		else if (check_floating_pointer(&f, mpf)) {
			const struct mp_config_header *h = (const void *)(uintptr_t)mpf->config_table;
			found(&f, ", PCMP 0x%x", mpf->config_table);
			if (check_header(&f, h))
				check_entries(&f, h, (uint32_t)options->cpus);
		}
	}
	test_report_findings("mptable", &f);
}
