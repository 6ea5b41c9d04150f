#include "apic_set.h"
#include "format.h"

void apic_set_add(struct apic_set *set, uint32_t id)
{
	set->count++;
	if (id > 255) {
		set->over_255 = true;
		return;
	}
	uint64_t bit = 1ull << (id % 64);
	if (set->bits[id / 64] & bit)
		set->duplicate = true;
	set->bits[id / 64] |= bit;
}

bool apic_set_is_first(const struct apic_set *set, uint32_t n)
{
	if (set->count != n || set->duplicate || set->over_255)
		return false;
	for (uint32_t id = 0; id < n; id++)
		if (!(set->bits[id / 64] & (1ull << (id % 64))))
			return false;
	return true;
}

void apic_set_append(const struct apic_set *set, char *buf, size_t size)
{
	bool first = true;
	for (uint32_t id = 0; id < 256; id++) {
		if (set->bits[id / 64] & (1ull << (id % 64))) {
			append_format(buf, size, first ? "%u" : ",%u", id);
			first = false;
		}
	}
	if (first)
		append_format(buf, size, "none");
	if (set->over_255)
		append_format(buf, size, ",>255");
}
