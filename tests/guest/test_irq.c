/*
 * irq: the interrupt path works end to end. The BSP enables its LAPIC from CPL3 and sends itself
 * a fixed IPI three times; each must reach the handler (IDT gate -> CPL0 stub -> SYSEXIT -> CPL3
 * dispatcher -> EOI) exactly once.
 */
#include "irq.h"
#include "lapic.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"

#define IRQ_TEST_VECTOR 0x40
#define IRQ_TEST_SENDS 3

static volatile uint32_t handled;

static void on_test_vector(unsigned vector, void *arg)
{
	(void)vector;
	(void)arg;
	atomic_inc(&handled);
}

void test_irq(void)
{
	irq_register(IRQ_TEST_VECTOR, on_test_vector, NULL);
	lapic_enable();

	for (uint32_t i = 1; i <= IRQ_TEST_SENDS; i++) {
		if (!lapic_send_self_ipi(IRQ_TEST_VECTOR)) {
			test_report("irq", false, "the LAPIC did not take self-IPI %u", i);
			return;
		}
		/* Normally the interrupt is taken before the ICR write even returns. */
		uint64_t deadline = tsc_deadline_us(1000000);
		while (handled < i && !tsc_passed(deadline))
			cpu_relax();
	}
	tsc_delay_us(10000); /* a late or repeated delivery would show up here */

	uint32_t n = handled;
	test_report("irq", n == IRQ_TEST_SENDS && irq_count(IRQ_TEST_VECTOR) == IRQ_TEST_SENDS,
		    "%u/%u self-IPIs on vector 0x%x handled", n, IRQ_TEST_SENDS, IRQ_TEST_VECTOR);
}
