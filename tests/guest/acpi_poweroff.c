/*
 * Powering off the way Linux does on a hardware-reduced ACPI platform (ACPI 6.5, 4.8.3.7 and 7.4.2;
 * Linux's acpi_hw_extended_sleep): SLP_TYP from the DSDT's \_S5 package, shifted into place with SLP_EN,
 * written to the FADT's SLEEP_CONTROL_REG. With glue.poweroff=acpi the guest ends this way instead of by
 * an i8042 reset, so a host test can tell the two apart by glue's exit reason.
 */
#include "acpi_poweroff.h"
#include "acpi.h"
#include "cmdline_key.h"
#include "serial.h"

#define FADT_SLEEP_CONTROL_REG_OFFSET 244 /* a 12-byte Generic Address Structure (ACPI 6.5, Table 5.9) */
#define GAS_SYSTEM_IO 1                   /* address space id of port I/O (Table 5.1) */
#define SLP_TYP_SHIFT 2
#define SLP_EN 0x20

/* AML opcodes (ACPI 6.5, 20.2.5): the \_S5 package's first element is SLP_TYP. */
#define AML_PACKAGE_OP 0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01

/* Finds "_S5_" followed by a Package and reads its first element; enough AML for Name(\_S5, Package{...}). */
static bool s5_sleep_type(const struct acpi_header *dsdt, uint8_t *type)
{
	const uint8_t *aml = (const uint8_t *)dsdt;
	for (uint32_t i = sizeof(*dsdt); i + 10 <= dsdt->length; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0 || aml[i + 4] != AML_PACKAGE_OP)
			continue;
		const uint8_t *p = aml + i + 5;
		p += 1 + (p[0] >> 6); /* PkgLength: bits 7:6 count its extra bytes */
		p += 1;               /* NumElements */
		if (p[0] == AML_BYTE_PREFIX)
			*type = p[1];
		else if (p[0] == AML_ZERO_OP || p[0] == AML_ONE_OP)
			*type = p[0];
		else
			return false;
		return true;
	}
	return false;
}

void acpi_poweroff_if_asked(void)
{
	const char *value, *end;
	if (!cmdline_key("glue.poweroff=", &value, &end) || end - value != 4 || memcmp(value, "acpi", 4) != 0)
		return;
	const struct acpi_header *fadt = acpi_find_table("FACP");
	if (!fadt || fadt->length < FADT_SLEEP_CONTROL_REG_OFFSET + 12) {
		kprintf("GLUE-POWEROFF no FADT with a SLEEP_CONTROL_REG\n");
		return;
	}
	uint64_t dsdt_address;
	memcpy(&dsdt_address, (const uint8_t *)fadt + FADT_X_DSDT_OFFSET, 8);
	const uint8_t *gas = (const uint8_t *)fadt + FADT_SLEEP_CONTROL_REG_OFFSET;
	uint64_t port;
	memcpy(&port, gas + 4, 8);
	uint8_t type;
	if (dsdt_address == 0 || dsdt_address >= (1ull << 32) || !s5_sleep_type((const struct acpi_header *)dsdt_address, &type)) {
		kprintf("GLUE-POWEROFF no \\_S5 package in the DSDT\n");
		return;
	}
	if (gas[0] != GAS_SYSTEM_IO || port > 0xffff) {
		kprintf("GLUE-POWEROFF SLEEP_CONTROL_REG is not a port (space %u)\n", gas[0]);
		return;
	}
	kprintf("GLUE-POWEROFF SLP_TYP %u to port 0x%lx\n", type, port);
	outb((uint16_t)port, (uint8_t)((type << SLP_TYP_SHIFT) | SLP_EN));
}
