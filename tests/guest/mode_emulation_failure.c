/*
 * glue.mode=emulation-failure: make KVM give up on an instruction, so that KVM_RUN returns
 * KVM_EXIT_INTERNAL_ERROR (suberror KVM_INTERNAL_ERROR_EMULATION) and the VMM must report it.
 *
 * It has to happen at CPL0: for an instruction it cannot emulate at CPL3, KVM injects #UD into the
 * guest rather than exit (arch/x86/kvm/x86.c, handle_emulation_failure). So the test points a
 * vector's gate at emulation_failure_cpl0 (isr.S), an x87 load from an unbacked address, and
 * sends itself that vector.
 */
#include "defs.h"
#include "irq.h"
#include "lapic.h"
#include "report.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"

extern void emulation_failure_cpl0(void);

NORETURN void run_emulation_failure(void)
{
	kprintf("GLUE-TEST emulation-failure START\n");
	idt_set_gate(EMULATION_FAILURE_VECTOR, emulation_failure_cpl0);
	lapic_enable();
	lapic_send_self_ipi(EMULATION_FAILURE_VECTOR);

	/* Still running: the VMM emulated the load (then isr.S went on to the dispatcher) or never delivered. */
	tsc_delay_us(1000000);
	test_report("emulation-failure", false, "still running after fld from 0x%x at CPL0 (vector 0x%x taken %u times)",
		    EMULATION_FAILURE_ADDR, EMULATION_FAILURE_VECTOR, irq_count(EMULATION_FAILURE_VECTOR));
	tests_finish();
}
