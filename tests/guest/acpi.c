#include "acpi.h"
#include "start_info.h"

#define FOUR_GIB (1ull << 32)

bool acpi_checksum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (n--)
		sum += *b++;
	return sum == 0;
}

const struct acpi_rsdp *acpi_find_rsdp(const char **from)
{
	if (boot_info.rsdp_paddr) {
		*from = "start_info";
		if (boot_info.rsdp_paddr >= FOUR_GIB - sizeof(struct acpi_rsdp))
			return NULL;
		const struct acpi_rsdp *rsdp = (const struct acpi_rsdp *)(uintptr_t)boot_info.rsdp_paddr;
		return memcmp(rsdp->signature, "RSD PTR ", 8) == 0 ? rsdp : NULL;
	}
	*from = "scan";
	for (uintptr_t p = ACPI_RSDP_SCAN_START; p < ACPI_RSDP_SCAN_END; p += 16)
		if (memcmp((const void *)p, "RSD PTR ", 8) == 0)
			return (const struct acpi_rsdp *)p;
	return NULL;
}

uint32_t acpi_xsdt_entries(const struct acpi_header *xsdt)
{
	return xsdt->length < sizeof(*xsdt) ? 0 : (xsdt->length - (uint32_t)sizeof(*xsdt)) / 8;
}

const struct acpi_header *acpi_xsdt_entry(const struct acpi_header *xsdt, uint32_t i)
{
	uint64_t address;
	memcpy(&address, (const uint8_t *)(xsdt + 1) + 8 * i, 8); /* 4-byte aligned only */
	return address == 0 || address >= FOUR_GIB - sizeof(struct acpi_header)
		       ? NULL
		       : (const struct acpi_header *)(uintptr_t)address;
}

/* Entry i of an RSDT (4-byte addresses) or XSDT (8-byte ones). */
static const struct acpi_header *sdt_entry(const struct acpi_header *sdt, uint32_t i, uint32_t entry_bytes)
{
	uint64_t address = 0;
	memcpy(&address, (const uint8_t *)(sdt + 1) + entry_bytes * i, entry_bytes);
	return address == 0 || address >= FOUR_GIB - sizeof(struct acpi_header) ? NULL
										 : (const struct acpi_header *)(uintptr_t)address;
}

const struct acpi_header *acpi_find_table(const char signature[4])
{
	const char *from;
	const struct acpi_rsdp *rsdp = acpi_find_rsdp(&from);
	if (!rsdp)
		return NULL;
	/* The XSDT when there is one (revision 2), else the RSDT (an ACPI 1.0 RSDP, as SeaBIOS and qboot give). */
	bool extended = rsdp->revision >= 2 && rsdp->xsdt_address != 0;
	uint64_t address = extended ? rsdp->xsdt_address : rsdp->rsdt_address;
	if (address == 0 || address >= FOUR_GIB)
		return NULL;
	const struct acpi_header *sdt = (const struct acpi_header *)(uintptr_t)address;
	if (memcmp(sdt->signature, extended ? "XSDT" : "RSDT", 4) != 0)
		return NULL;
	uint32_t entry_bytes = extended ? 8 : 4;
	uint32_t entries = sdt->length < sizeof(*sdt) ? 0 : (sdt->length - (uint32_t)sizeof(*sdt)) / entry_bytes;
	for (uint32_t i = 0; i < entries; i++) {
		const struct acpi_header *table = sdt_entry(sdt, i, entry_bytes);
		if (table && memcmp(table->signature, signature, 4) == 0)
			return table;
	}
	return NULL;
}

const struct acpi_header *acpi_find_dsdt(void)
{
	const struct acpi_header *fadt = acpi_find_table("FACP");
	if (!fadt)
		return NULL;
	uint64_t address = 0;
	if (fadt->length >= FADT_X_DSDT_OFFSET + 8)
		memcpy(&address, (const uint8_t *)fadt + FADT_X_DSDT_OFFSET, 8);
	if (address == 0)
		memcpy(&address, (const uint8_t *)fadt + FADT_DSDT_OFFSET, 4);
	if (address == 0 || address >= FOUR_GIB - sizeof(struct acpi_header))
		return NULL;
	const struct acpi_header *dsdt = (const struct acpi_header *)(uintptr_t)address;
	return memcmp(dsdt->signature, "DSDT", 4) == 0 ? dsdt : NULL;
}
