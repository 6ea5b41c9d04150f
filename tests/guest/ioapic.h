/*
 * Routing a GSI through the I/O APIC that has it (82093AA I/O APIC datasheet; ACPI 6.5, 5.2.12.3).
 * The I/O APICs come from the MADT when there is one (QEMU microvm has a second at 0xfec10000 for
 * GSIs 24-47), else there is taken to be one, at 0xfec00000 with GSIs from 0.
 */
#ifndef IOAPIC_H
#define IOAPIC_H

#include "lib.h"

struct ioapic_pin {
	uint32_t address; /* of the I/O APIC */
	uint32_t pin;     /* its redirection entry */
};

/*
 * Programs the GSI's redirection entry: fixed delivery of `vector` to the LAPIC with APIC ID
 * dest_apic_id, physical destination, edge-triggered, active high, unmasked. False if no I/O APIC
 * has the GSI; *where says which entry it wrote.
 */
bool ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest_apic_id, struct ioapic_pin *where);
/* Masks the entry again. */
void ioapic_mask(const struct ioapic_pin *where);

#endif
