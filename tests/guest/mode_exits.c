/*
 * glue.mode=exits: the cost of one exit to the VMM and back, in TSC cycles, for a port write and for an
 * MMIO write, each to an address no device claims (the VMM drops the write):
 *   GLUE-BENCH exits pio <min> <median> mmio <min> <median> cycles per exit (<b> batches of <n>), tsc <hz> Hz (<source>)
 * glue.exits=<count> sets how many of each (default 100000). No tests run; the VM ends as after them.
 * The exits are timed in small batches: on a loaded host the vCPU thread is preempted now and then, and
 * the TSC counts that too; the fastest batch is the exit's own cost, the median what the load left of it.
 */
#include "cmdline_key.h"
#include "report.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"

#define EXITS_PORT 0x7e0            /* nothing at it on Glue or QEMU microvm */
#define EXITS_MMIO 0xe0000000ul     /* in the 32-bit MMIO gap, unbacked on both (as mode_emulation_failure's) */
#define EXITS_DEFAULT 100000
#define PER_BATCH 16
#define BATCHES_MAX 8192

struct exit_cost {
	uint64_t min, median; /* cycles per exit */
};

static uint64_t batch[BATCHES_MAX];

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned gap = n / 2; gap > 0; gap /= 2) /* Shell sort: a few thousand values */
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				uint64_t t = v[j];
				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

static struct exit_cost measure(bool mmio, unsigned batches)
{
	for (unsigned b = 0; b < batches; b++) {
		uint64_t start = rdtsc();
		for (uint32_t i = 0; i < PER_BATCH; i++) {
			if (mmio)
				mmio_write32(EXITS_MMIO, i);
			else
				outb(EXITS_PORT, (uint8_t)i);
		}
		batch[b] = rdtsc() - start;
	}
	sort(batch, batches);
	return (struct exit_cost){ batch[0] / PER_BATCH, batch[batches / 2] / PER_BATCH };
}

NORETURN void run_exits(void)
{
	uint64_t count = EXITS_DEFAULT;
	const char *v, *end;
	if (cmdline_key("glue.exits=", &v, &end) && (!cmdline_numbers(v, end, &count, 1) || count < PER_BATCH))
		count = EXITS_DEFAULT;
	unsigned batches = count / PER_BATCH < BATCHES_MAX ? (unsigned)(count / PER_BATCH) : BATCHES_MAX;
	measure(false, batches / 8 + 1); /* warm the paths (and the VMM's) before counting */
	struct exit_cost pio = measure(false, batches);
	struct exit_cost mmio = measure(true, batches);
	kprintf("GLUE-BENCH exits pio %lu %lu mmio %lu %lu cycles per exit (%u batches of %u), tsc %lu Hz (%s)\n",
		pio.min, pio.median, mmio.min, mmio.median, batches, PER_BATCH, tsc_hz(), tsc_hz_source());
	vm_exit(true);
}
