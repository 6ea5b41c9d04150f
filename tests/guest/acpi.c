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

const struct acpi_header *acpi_find_table(const char signature[4])
{
	const char *from;
	const struct acpi_rsdp *rsdp = acpi_find_rsdp(&from);
	if (!rsdp || rsdp->revision < 2 || rsdp->xsdt_address == 0 || rsdp->xsdt_address >= FOUR_GIB)
		return NULL;
	const struct acpi_header *xsdt = (const struct acpi_header *)(uintptr_t)rsdp->xsdt_address;
	if (memcmp(xsdt->signature, "XSDT", 4) != 0)
		return NULL;
	for (uint32_t i = 0; i < acpi_xsdt_entries(xsdt); i++) {
		const struct acpi_header *table = acpi_xsdt_entry(xsdt, i);
		if (table && memcmp(table->signature, signature, 4) == 0)
			return table;
	}
	return NULL;
}
