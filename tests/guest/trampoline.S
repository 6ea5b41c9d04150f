/*
 * Where an AP starts: after INIT and a SIPI with vector AP_SIPI_VECTOR it runs this in real mode
 * with CS = AP_TRAMPOLINE_ADDR >> 4, IP = 0. smp.c copies these bytes to AP_TRAMPOLINE_ADDR.
 *
 * Real mode is emulated instruction by instruction on PVM, so this goes straight from real mode
 * to long mode (CR0.PE and CR0.PG in one write, then a far jump to a 64-bit code segment) instead
 * of passing through 32-bit protected mode. Everything it refers to is either relative to the
 * trampoline (through DS) or an absolute address in the image above 1 MiB.
 */
#include "long_mode.h"

	.section .rodata.trampoline, "a"
	.code16
	.globl ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdt_ptr - ap_trampoline_start

	enter_long_mode

	/* A 32-bit offset: ap_start64 is above 1 MiB. */
	ljmpl $KERNEL_CS, $ap_start64

	.p2align 2
ap_gdt_ptr:
	.word GDT_BYTES - 1
	.long gdt
ap_trampoline_end:
