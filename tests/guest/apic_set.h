/*
 * A set of APIC IDs, as a firmware table lists the CPUs: test_acpi.c and test_mptable.c check that
 * the enabled CPUs are exactly APIC IDs 0..N-1 (glue.cpus = N), as the smp test expects them.
 */
#ifndef APIC_SET_H
#define APIC_SET_H

#include "lib.h"

struct apic_set {
	uint64_t bits[4]; /* APIC IDs 0-255 */
	uint32_t count;   /* IDs added, duplicates and IDs over 255 included */
	bool duplicate, over_255;
};

void apic_set_add(struct apic_set *set, uint32_t id);
/* True if the set is exactly {0, ..., n - 1}, each added once. */
bool apic_set_is_first(const struct apic_set *set, uint32_t n);
/* Appends the IDs in ascending order, comma-separated ("0,1,2"), to the string in buf. */
void apic_set_append(const struct apic_set *set, char *buf, size_t size);

#endif
