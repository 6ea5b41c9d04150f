#include "cpuid.h"

/* Read by entry.S: which leaves to snapshot, and where. */
const uint32_t cpuid_snapshot_leaves[CPUID_SNAPSHOT_LEAVES] = {
	0, 1, 0x15, 0x16, CPUID_HYPERVISOR_BASE, CPUID_HYPERVISOR_TIMING,
};
struct cpuid_regs cpuid_snapshot[MAX_CPUS][CPUID_SNAPSHOT_LEAVES];

struct cpuid_regs cpuid_cpl0(unsigned cpu, uint32_t leaf)
{
	for (unsigned i = 0; i < CPUID_SNAPSHOT_LEAVES; i++)
		if (cpuid_snapshot_leaves[i] == leaf)
			return cpuid_snapshot[cpu][i];
	return (struct cpuid_regs){ 0 };
}
