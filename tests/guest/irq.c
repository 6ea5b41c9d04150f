/*
 * The IDT and the C side of every interrupt. All 256 gates lead to isr.S's stubs, which bring each
 * interrupt to isr_dispatch() at CPL3; there it is counted, handed to its handler, and EOI'd.
 */
#include "irq.h"
#include "defs.h"
#include "lapic.h"
#include "report.h"

/* A 64-bit IDT gate (Intel SDM Vol. 3A, "64-Bit IDT Gate Descriptors"). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

/* Present, DPL 0, type 0xe = 64-bit interrupt gate: IF is cleared on entry. */
#define IDT_INTERRUPT_GATE 0x8e

extern struct idt_gate idt[256];   /* entry.S, loaded by every CPU's LIDT */
extern const char isr_stubs[];     /* isr.S: vector n's stub at isr_stubs + 16 * n */

static struct {
	irq_handler_fn fn;
	void *arg;
} handlers[256];

static volatile uint32_t counts[256];

void idt_set_gate(unsigned vector, void (*cpl0_entry)(void))
{
	uint64_t offset = (uintptr_t)cpl0_entry;
	idt[vector] = (struct idt_gate){
		.offset_low = (uint16_t)offset,
		.selector = KERNEL_CS,
		.type_attr = IDT_INTERRUPT_GATE,
		.offset_mid = (uint16_t)(offset >> 16),
		.offset_high = (uint32_t)(offset >> 32),
	};
}

void idt_init(void)
{
	/* The IDT is ordinary (user-accessible) memory, so CPL3 can fill it in. */
	for (unsigned v = 0; v < 256; v++)
		idt_set_gate(v, (void (*)(void))(isr_stubs + 16 * v));
}

void irq_register(unsigned vector, irq_handler_fn fn, void *arg)
{
	handlers[vector].arg = arg;
	__atomic_store_n(&handlers[vector].fn, fn, __ATOMIC_RELEASE);
}

uint32_t irq_count(unsigned vector)
{
	return counts[vector];
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "22",  "23",  "24",  "25",  "26",  "27",  "#HV", "#VC", "#SX", "31",
};

/* An exception at CPL3 is a bug in the guest (or the VMM): report it as a failed test and stop. */
static NORETURN void exception(const struct isr_frame *frame)
{
	unsigned vector = frame->vector & 0xff;
	test_report_fault("exception", "%s vector %u error 0x%lx rip 0x%lx", exception_names[vector], vector,
			  frame->error, frame->rip);
	tests_finish();
}

void isr_dispatch(struct isr_frame *frame)
{
	unsigned vector = frame->vector & 0xff; /* `push $imm8` sign-extended vectors >= 0x80 */
	if (vector < IRQ_FIRST_EXTERNAL)
		exception(frame);

	__atomic_add_fetch(&counts[vector], 1, __ATOMIC_SEQ_CST);
	irq_handler_fn fn = __atomic_load_n(&handlers[vector].fn, __ATOMIC_ACQUIRE);
	if (fn)
		fn(vector, handlers[vector].arg);
	if (vector != SPURIOUS_VECTOR)
		lapic_eoi();
}
