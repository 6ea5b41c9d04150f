/*
 * glue.mode=counter: `GLUE-COUNTER <n>` for n = 0, 1, 2, ... every 5 ms, forever, paced by the TSC.
 * For pause/resume tests: after a pause it carries on from the next n without a burst of catch-up lines.
 */
#include "serial.h"
#include "tests.h"
#include "tsc.h"

#define COUNTER_PERIOD_US 5000

NORETURN void run_counter(void)
{
	uint64_t period = tsc_hz() / 1000000 * COUNTER_PERIOD_US;
	uint64_t next = rdtsc();
	for (uint64_t n = 0;; n++) {
		kprintf("GLUE-COUNTER %lu\n", n);
		next += period;
		if (tsc_passed(next + period)) /* more than a period late (the VM was paused): start afresh */
			next = rdtsc();
		while (!tsc_passed(next))
			cpu_relax();
	}
}
