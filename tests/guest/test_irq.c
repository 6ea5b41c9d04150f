/*
 * irq: the interrupt path works end to end. The BSP enables its LAPIC from CPL3 and sends itself
 * a fixed IPI three times; each must reach the handler (IDT gate -> CPL0 stub -> SYSEXIT -> CPL3
 * dispatcher -> EOI) exactly once, and the interrupted code's flags must survive it: each IPI is
 * sent by one store to the ICR with ZF = CF = 1, and the flags are read by the next instruction
 * (the IPI is taken right after that store, so in between).
 */
#include "irq.h"
#include "lapic.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"

#define IRQ_TEST_VECTOR 0x40
#define IRQ_TEST_SENDS 3
#define RFLAGS_CF 0x01
#define RFLAGS_ZF 0x40

static volatile uint32_t handled;

static void on_test_vector(unsigned vector, void *arg)
{
	(void)vector;
	(void)arg;
	atomic_inc(&handled);
}

/* Sends the IPI with ZF = CF = 1 and returns the flags as the instruction after the ICR store sees them. */
static uint64_t send_with_flags_set(void)
{
	uint64_t flags;
	__asm__ volatile("xorl %%eax, %%eax\n\t" /* ZF = 1 */
			 "stc\n\t"                 /* CF = 1 */
			 "movl %[icr], (%[reg])\n\t"
			 "pushfq\n\t"
			 "popq %[flags]"
			 : [flags] "=r"(flags)
			 : [icr] "r"(APIC_DEST_SELF | APIC_INT_ASSERT | APIC_DM_FIXED | IRQ_TEST_VECTOR),
			   [reg] "r"(lapic_icr_low())
			 : "rax", "cc", "memory");
	return flags;
}

void test_irq(void)
{
	irq_register(IRQ_TEST_VECTOR, on_test_vector, NULL);
	lapic_enable();

	uint32_t flags_lost = 0;
	for (uint32_t i = 1; i <= IRQ_TEST_SENDS; i++) {
		uint64_t flags = send_with_flags_set();
		if ((flags & (RFLAGS_ZF | RFLAGS_CF)) != (RFLAGS_ZF | RFLAGS_CF))
			flags_lost++;
		/* Normally the interrupt is taken before the ICR write even returns. */
		uint64_t deadline = tsc_deadline_us(1000000);
		while (handled < i && !tsc_passed(deadline))
			cpu_relax();
	}
	tsc_delay_us(10000); /* a late or repeated delivery would show up here */

	uint32_t n = handled;
	test_report("irq", n == IRQ_TEST_SENDS && irq_count(IRQ_TEST_VECTOR) == IRQ_TEST_SENDS && flags_lost == 0,
		    "%u/%u self-IPIs on vector 0x%x handled, flags changed by %u", n, IRQ_TEST_SENDS, IRQ_TEST_VECTOR,
		    flags_lost);
}
