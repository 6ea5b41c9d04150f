/*
 * acpi: with glue.acpi=1, the ACPI tables an OS boots from are there and consistent (ACPI 6.5,
 * chapter 5.2): the RSDP (where start_info's rsdp_paddr says, else found by scanning 0xe0000-0xfffff)
 * with both checksums, revision 2 and an XSDT; every table the XSDT lists with a valid header and
 * checksum; a MADT whose enabled CPUs are APIC IDs 0..glue.cpus-1 and that has an I/O APIC at
 * 0xfec00000; a FACP whose DSDT is valid. None of them may lie in RAM of the memory map, where an
 * OS would overwrite them. With glue.acpi=0 there must be no RSDP at all.
 */
#include "acpi.h"
#include "apic_set.h"
#include "report.h"
#include "start_info.h"
#include "tests.h"

#define LAPIC_ADDRESS 0xfee00000
#define IOAPIC_ADDRESS 0xfec00000
#define TABLE_MAX_BYTES (1u << 20) /* a sanity bound: no table here comes near it */
#define FOUR_GIB (1ull << 32)

static bool check_not_ram(struct findings *f, const char *what, uint64_t address, uint64_t length)
{
	if (boot_memmap_overlaps_ram(address, length))
		return problem(f, "%s at 0x%lx+0x%lx is in RAM of the memory map", what, address, length);
	return true;
}

/* format.c has no %.4s: the signature as a string. */
static void signature_of(const struct acpi_header *t, char sig[5])
{
	memcpy(sig, t->signature, 4);
	sig[4] = '\0';
}

/* A table's header, length and checksum; `signature` NULL accepts any. */
static bool check_table(struct findings *f, const struct acpi_header *t, const char *signature)
{
	char sig[5];
	signature_of(t, sig);
	uint64_t address = (uintptr_t)t;
	if (signature && memcmp(sig, signature, 4) != 0)
		return problem(f, "table at 0x%lx has signature '%s', expected '%s'", address, sig, signature);
	if (t->length < sizeof(*t) || t->length > TABLE_MAX_BYTES || address + t->length > FOUR_GIB)
		return problem(f, "%s at 0x%lx has length %u", sig, address, t->length);
	if (!acpi_checksum_ok(t, t->length))
		return problem(f, "%s at 0x%lx has a bad checksum", sig, address);
	return check_not_ram(f, sig, address, t->length);
}

static bool check_rsdp(struct findings *f, const struct acpi_rsdp *rsdp)
{
	if (!acpi_checksum_ok(rsdp, ACPI_RSDP_V1_BYTES))
		return problem(f, "the RSDP checksum (first 20 bytes) is bad");
	if (rsdp->revision < 2)
		return problem(f, "RSDP revision %u has no XSDT", rsdp->revision);
	if (rsdp->length < sizeof(*rsdp) || rsdp->length > TABLE_MAX_BYTES)
		return problem(f, "RSDP length %u", rsdp->length);
	if (!acpi_checksum_ok(rsdp, rsdp->length))
		return problem(f, "the RSDP extended checksum is bad");
	if (rsdp->xsdt_address == 0 || rsdp->xsdt_address >= FOUR_GIB - sizeof(struct acpi_header))
		return problem(f, "XSDT address 0x%lx", rsdp->xsdt_address);
	return check_not_ram(f, "RSDP", (uintptr_t)rsdp, rsdp->length);
}

static bool check_madt(struct findings *f, const struct acpi_madt *madt, uint32_t cpus)
{
	if (madt->header.length < sizeof(*madt))
		return problem(f, "MADT length %u", madt->header.length);
	if (madt->local_apic_address != LAPIC_ADDRESS)
		return problem(f, "MADT local APIC address 0x%x, expected 0x%x", madt->local_apic_address, LAPIC_ADDRESS);

	struct apic_set enabled = { 0 };
	const struct madt_io_apic *ioapic = NULL;
	uint32_t ioapics = 0;
	const uint8_t *table = (const uint8_t *)madt;
	for (uint32_t offset = sizeof(*madt); offset < madt->header.length;) {
		const struct madt_entry *e = (const struct madt_entry *)(table + offset);
		if (offset + sizeof(*e) > madt->header.length || e->length < sizeof(*e) ||
		    offset + e->length > madt->header.length)
			return problem(f, "MADT entry at offset %u (type %u) overruns the table", offset, e->type);
		if (e->type == MADT_LOCAL_APIC && e->length == sizeof(struct madt_local_apic)) {
			const struct madt_local_apic *l = (const void *)e;
			if (l->flags & MADT_LAPIC_ENABLED)
				apic_set_add(&enabled, l->apic_id);
		} else if (e->type == MADT_LOCAL_X2APIC && e->length == sizeof(struct madt_local_x2apic)) {
			const struct madt_local_x2apic *x = (const void *)e;
			if (x->flags & MADT_LAPIC_ENABLED)
				apic_set_add(&enabled, x->x2apic_id);
		} else if (e->type == MADT_IO_APIC && e->length == sizeof(struct madt_io_apic)) {
			const struct madt_io_apic *io = (const void *)e;
			ioapics++;
			if (io->address == IOAPIC_ADDRESS && !ioapic)
				ioapic = io;
		} else if (e->type == MADT_LOCAL_APIC || e->type == MADT_LOCAL_X2APIC || e->type == MADT_IO_APIC) {
			return problem(f, "MADT entry at offset %u (type %u) has length %u", offset, e->type, e->length);
		}
		offset += e->length;
	}

	found(f, ", cpus %u apic-ids ", enabled.count);
	apic_set_append(&enabled, f->found, sizeof(f->found));
	if (ioapic)
		found(f, ", ioapic 0x%x id %u gsi-base %u", ioapic->address, ioapic->io_apic_id, ioapic->gsi_base);
	if (ioapics > 1)
		found(f, " (%u ioapics)", ioapics);
	if (!apic_set_is_first(&enabled, cpus))
		return problem(f, "expected %u enabled CPUs with APIC IDs 0-%u", cpus, cpus - 1);
	if (!ioapic)
		return problem(f, "no I/O APIC at 0x%x", IOAPIC_ADDRESS);
	return true;
}

static bool check_dsdt(struct findings *f, const struct acpi_header *fadt)
{
	if (fadt->length < FADT_DSDT_OFFSET + 4)
		return problem(f, "FACP length %u leaves no DSDT field", fadt->length);
	uint32_t dsdt32;
	uint64_t dsdt = 0;
	memcpy(&dsdt32, (const uint8_t *)fadt + FADT_DSDT_OFFSET, 4);
	if (fadt->length >= FADT_X_DSDT_OFFSET + 8)
		memcpy(&dsdt, (const uint8_t *)fadt + FADT_X_DSDT_OFFSET, 8);
	if (dsdt == 0)
		dsdt = dsdt32; /* X_DSDT, when set, is the one an OS uses */
	found(f, ", dsdt 0x%lx", dsdt);
	if (dsdt == 0 || dsdt >= FOUR_GIB - sizeof(struct acpi_header))
		return problem(f, "FACP has no usable DSDT address");
	return check_table(f, (const struct acpi_header *)(uintptr_t)dsdt, "DSDT");
}

static void check_tables(struct findings *f, const struct acpi_rsdp *rsdp, uint32_t cpus)
{
	if (!check_rsdp(f, rsdp))
		return;
	const struct acpi_header *xsdt = (const struct acpi_header *)(uintptr_t)rsdp->xsdt_address;
	found(f, " rev %u, xsdt 0x%lx:", rsdp->revision, rsdp->xsdt_address);
	if (!check_table(f, xsdt, "XSDT"))
		return;

	const struct acpi_header *fadt = NULL, *madt = NULL;
	for (uint32_t i = 0; i < acpi_xsdt_entries(xsdt); i++) {
		const struct acpi_header *t = acpi_xsdt_entry(xsdt, i);
		if (!t) {
			problem(f, "XSDT entry %u is not an address below 4 GiB", i);
			return;
		}
		char sig[5];
		signature_of(t, sig);
		found(f, " %s", sig);
		if (!check_table(f, t, NULL))
			return;
		if (!fadt && memcmp(t->signature, "FACP", 4) == 0)
			fadt = t;
		if (!madt && memcmp(t->signature, "APIC", 4) == 0)
			madt = t;
	}
	if (!fadt || !madt) {
		problem(f, "the XSDT lists no %s", fadt ? "APIC (MADT)" : "FACP (FADT)");
		return;
	}
	if (check_dsdt(f, fadt))
		check_madt(f, (const struct acpi_madt *)madt, cpus);
}

void test_acpi(const struct options *options)
{
	if (options->acpi == EXPECT_UNSTATED)
		return;
	if (options->acpi == EXPECT_INVALID) {
		test_report("acpi", false, "glue.acpi is not 1 or 0");
		return;
	}
	const char *from;
	const struct acpi_rsdp *rsdp = acpi_find_rsdp(&from);
	struct findings f = { 0 };
	if (rsdp)
		found(&f, "rsdp 0x%lx from %s", (uint64_t)(uintptr_t)rsdp, from);
	else if (boot_info.rsdp_paddr)
		found(&f, "no RSDP at start_info's rsdp_paddr 0x%lx", boot_info.rsdp_paddr);
	else
		found(&f, "no RSDP (rsdp_paddr 0, none in 0x%x-0x%x)", ACPI_RSDP_SCAN_START, ACPI_RSDP_SCAN_END - 1);

	if (options->acpi == EXPECT_ABSENT) {
		if (rsdp)
			problem(&f, "expected none (glue.acpi=0)");
	} else if (!rsdp) {
		problem(&f, "expected one (glue.acpi=1)");
	} else if (!options->cpus_valid) {
		problem(&f, "glue.cpus is not a positive number");
	} else {
		check_tables(&f, rsdp, (uint32_t)options->cpus);
	}
	test_report_findings("acpi", &f);
}
