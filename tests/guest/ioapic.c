#include "ioapic.h"
#include "acpi.h"

#define IOAPIC_DEFAULT_ADDRESS 0xfec00000

/* Indirect access: write a register number to IOREGSEL, then read or write IOWIN. */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VERSION 0x01  /* bits 23:16: the highest redirection entry */
#define IOAPIC_REDIRECTION 0x10 /* entry n: low half at 0x10 + 2n, high half (destination in 31:24) at + 1 */

/* Redirection entry, low half: vector in 7:0, delivery mode 10:8 (0 fixed), destination mode bit 11
 * (0 physical), polarity bit 13 (0 high), trigger mode bit 15 (0 edge), mask bit 16. */
#define REDIRECTION_MASKED 0x10000

static uint32_t ioapic_read(uint32_t address, uint32_t reg)
{
	mmio_write32(address + IOREGSEL, reg);
	return mmio_read32(address + IOWIN);
}

static void ioapic_write(uint32_t address, uint32_t reg, uint32_t value)
{
	mmio_write32(address + IOREGSEL, reg);
	mmio_write32(address + IOWIN, value);
}

static uint32_t entries(uint32_t address)
{
	return ((ioapic_read(address, IOAPIC_VERSION) >> 16) & 0xff) + 1;
}

static bool find_pin(uint32_t gsi, struct ioapic_pin *where)
{
	const struct acpi_madt *madt = (const struct acpi_madt *)acpi_find_table("APIC");
	if (!madt) {
		*where = (struct ioapic_pin){ IOAPIC_DEFAULT_ADDRESS, gsi };
		return gsi < entries(IOAPIC_DEFAULT_ADDRESS);
	}
	const uint8_t *table = (const uint8_t *)madt;
	for (uint32_t offset = sizeof(*madt); offset + sizeof(struct madt_entry) <= madt->header.length;) {
		const struct madt_entry *e = (const struct madt_entry *)(table + offset);
		if (e->length < sizeof(*e))
			break;
		if (e->type == MADT_IO_APIC && e->length == sizeof(struct madt_io_apic)) {
			const struct madt_io_apic *io = (const void *)e;
			if (gsi >= io->gsi_base && gsi - io->gsi_base < entries(io->address)) {
				*where = (struct ioapic_pin){ io->address, gsi - io->gsi_base };
				return true;
			}
		}
		offset += e->length;
	}
	return false;
}

bool ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest_apic_id, struct ioapic_pin *where)
{
	if (!find_pin(gsi, where))
		return false;
	uint32_t reg = IOAPIC_REDIRECTION + 2 * where->pin;
	ioapic_write(where->address, reg, REDIRECTION_MASKED);
	ioapic_write(where->address, reg + 1, (uint32_t)dest_apic_id << 24);
	ioapic_write(where->address, reg, vector); /* fixed, physical, edge, active high, unmasked */
	return true;
}

void ioapic_mask(const struct ioapic_pin *where)
{
	ioapic_write(where->address, IOAPIC_REDIRECTION + 2 * where->pin, REDIRECTION_MASKED);
}
