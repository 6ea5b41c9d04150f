/*
 * The TSC rate, from the first CPUID leaf (as the VMM set it, see cpuid.h) that states it:
 *   0x40000010 EAX: TSC kHz (the hypervisor "timing information" leaf),
 *   0x15: crystal Hz (ECX) * EBX / EAX (Intel SDM Vol. 2A, CPUID leaf 15H),
 *   0x16 EAX: base frequency in MHz (Intel SDM, leaf 16H; close to the TSC rate),
 * else 2 GHz.
 */
#include "tsc.h"
#include "cpuid.h"

#define TSC_HZ_ASSUMED 2000000000ull

static uint64_t hz;
static const char *source;

/* The BSP's CPUID as the VMM set it (cpuid.h): the host CPU's, which CPL3 sees on PVM, may lack these. */
static struct cpuid_regs leaf(uint32_t leaf)
{
	return cpuid_cpl0(0, leaf);
}

static void measure(void)
{
	uint32_t max_leaf = leaf(0).eax;
	if (leaf(1).ecx & CPUID_1_ECX_HYPERVISOR) {
		uint32_t max_hv_leaf = leaf(CPUID_HYPERVISOR_BASE).eax;
		if (max_hv_leaf >= CPUID_HYPERVISOR_TIMING && max_hv_leaf < CPUID_HYPERVISOR_BASE + 0x10000) {
			uint32_t khz = leaf(CPUID_HYPERVISOR_TIMING).eax;
			if (khz) {
				hz = (uint64_t)khz * 1000;
				source = "cpuid-0x40000010";
				return;
			}
		}
	}
	if (max_leaf >= 0x15) {
		struct cpuid_regs r = leaf(0x15);
		if (r.eax && r.ebx && r.ecx) {
			hz = (uint64_t)r.ecx * r.ebx / r.eax;
			source = "cpuid-0x15";
			return;
		}
	}
	if (max_leaf >= 0x16) {
		uint32_t mhz = leaf(0x16).eax & 0xffff;
		if (mhz) {
			hz = (uint64_t)mhz * 1000000;
			source = "cpuid-0x16";
			return;
		}
	}
	hz = TSC_HZ_ASSUMED;
	source = "assumed";
}

uint64_t tsc_hz(void)
{
	if (!hz)
		measure();
	return hz;
}

const char *tsc_hz_source(void)
{
	tsc_hz();
	return source;
}

uint64_t tsc_deadline_us(uint64_t microseconds)
{
	return rdtsc() + tsc_hz() / 1000000 * microseconds;
}

bool tsc_passed(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void tsc_delay_us(uint64_t microseconds)
{
	uint64_t deadline = tsc_deadline_us(microseconds);
	while (!tsc_passed(deadline))
		cpu_relax();
}
