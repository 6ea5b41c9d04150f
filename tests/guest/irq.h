/*
 * Interrupt vectors: the IDT, per-vector counters and handlers. Handlers run at CPL3 with IF = 1,
 * called from isr_dispatch (see isr.S for how we get there without IRET); the dispatcher writes
 * the LAPIC EOI after the handler returns. A handler must not call kprintf (the interrupted code
 * may hold the serial lock).
 */
#ifndef IRQ_H
#define IRQ_H

#include "lib.h"

#define IRQ_FIRST_EXTERNAL 32 /* vectors 0-31 are the CPU's exceptions (Intel SDM Vol. 3A) */
#define SPURIOUS_VECTOR 0xff  /* programmed into the LAPIC SVR; gets no EOI */

/* What isr_common saves on the interrupted stack; isr.S builds it. */
struct isr_frame {
	uint64_t vector;
	uint64_t error;  /* the CPU's error code, or 0 */
	uint64_t rflags; /* as the CPU pushed it: the interrupted code's */
	uint64_t rax, rcx, rdx;
	uint64_t rip;
};

typedef void (*irq_handler_fn)(unsigned vector, void *arg);

/* Points all 256 IDT gates at the common entry. The BSP does it first thing at CPL3. */
void idt_init(void);
/* Calls fn(vector, arg) for each interrupt on vector (32-254), on whichever CPU takes it. */
void irq_register(unsigned vector, irq_handler_fn fn, void *arg);
/* How many times vector has been taken, on all CPUs together. */
uint32_t irq_count(unsigned vector);
/* Points vector's gate at other CPL0 code instead of the common entry (glue.mode=emulation-failure). */
void idt_set_gate(unsigned vector, void (*cpl0_entry)(void));

/* Called by isr.S at CPL3 for every interrupt and exception. */
void isr_dispatch(struct isr_frame *frame);

#endif
