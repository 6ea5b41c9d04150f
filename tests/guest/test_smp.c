/*
 * smp: with glue.cpus=N, the BSP starts APs with APIC IDs 1..N-1 by INIT, SIPI, SIPI (Intel SDM
 * Vol. 3A, "MP Initialization Example"); each AP goes trampoline.S (real mode) -> entry.S (long
 * mode, its own TSS and stacks) -> ap_main at CPL3 and reports in. Every CPU, the BSP too, checks
 * that its initial APIC ID from CPUID.1:EBX[31:24] equals its LAPIC ID register. That CPUID is
 * the one taken at CPL0 (cpuid.h): at CPL3 on PVM it would be the host CPU's APIC ID.
 */
#include "cpuid.h"
#include "defs.h"
#include "format.h"
#include "lapic.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"

#define INIT_TO_SIPI_US 10000 /* the SDM's 10 ms after INIT */
#define SIPI_TO_SIPI_US 200   /* and 200 us between the two SIPIs */
#define REPORT_TIMEOUT_US 5000000

extern const char ap_trampoline_start[], ap_trampoline_end[];

static struct {
	volatile uint32_t present;
	uint32_t lapic_id;
	uint32_t cpuid_apic_id;
} cpus[MAX_CPUS];

static volatile uint32_t cpus_reported;

static void report_in(unsigned cpu)
{
	cpus[cpu].lapic_id = lapic_id();
	cpus[cpu].cpuid_apic_id = cpuid_cpl0(cpu, 1).ebx >> 24; /* the initial APIC ID */
	__atomic_store_n(&cpus[cpu].present, 1, __ATOMIC_RELEASE);
	atomic_inc(&cpus_reported);
}

NORETURN void ap_main(unsigned cpu)
{
	report_in(cpu);
	for (;;) /* nothing more to do; HLT would fault at CPL3 */
		cpu_relax();
}

static void start_aps(uint32_t n)
{
	memcpy((void *)AP_TRAMPOLINE_ADDR, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
	for (uint32_t id = 1; id < n; id++)
		lapic_send_ipi(id, APIC_DM_INIT | APIC_INT_ASSERT);
	tsc_delay_us(INIT_TO_SIPI_US);
	for (int round = 0; round < 2; round++) {
		for (uint32_t id = 1; id < n; id++)
			lapic_send_ipi(id, APIC_DM_STARTUP | AP_SIPI_VECTOR);
		tsc_delay_us(SIPI_TO_SIPI_US);
	}
}

void test_smp(const struct options *options)
{
	if (!options->cpus_valid) {
		test_report("smp", false, "glue.cpus is not a positive number");
		return;
	}
	if (options->cpus > MAX_CPUS) {
		test_report("smp", false, "glue.cpus=%lu is more than the %u CPUs this guest supports", options->cpus,
			    MAX_CPUS);
		return;
	}
	uint32_t want = (uint32_t)options->cpus;

	lapic_enable();
	report_in(0);
	if (want > 1)
		start_aps(want);
	uint64_t deadline = tsc_deadline_us(REPORT_TIMEOUT_US);
	while (cpus_reported < want && !tsc_passed(deadline))
		cpu_relax();

	/* The APIC IDs of the CPUs that reported, sorted, and the first problem found. */
	uint32_t ids[MAX_CPUS], n = 0;
	char problem[128] = "";
	for (uint32_t cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!__atomic_load_n(&cpus[cpu].present, __ATOMIC_ACQUIRE))
			continue;
		uint32_t id = cpus[cpu].lapic_id;
		if (id != cpus[cpu].cpuid_apic_id && !problem[0])
			format_buffer(problem, sizeof(problem), ", cpu %u cpuid apic-id %u != lapic id %u", cpu,
				      cpus[cpu].cpuid_apic_id, id);
		uint32_t i = n++;
		for (; i > 0 && ids[i - 1] > id; i--)
			ids[i] = ids[i - 1];
		ids[i] = id;
	}
	for (uint32_t i = 1; i < n && !problem[0]; i++)
		if (ids[i] == ids[i - 1])
			format_buffer(problem, sizeof(problem), ", apic-id %u seen twice", ids[i]);

	char list[MAX_CPUS * 4 + 1] = "";
	for (uint32_t i = 0; i < n; i++)
		append_format(list, sizeof(list), i ? ",%u" : "%u", ids[i]);
	test_report("smp", n == want && !problem[0], "%u/%u cpus apic-ids %s%s", n, want, list, problem);
}
