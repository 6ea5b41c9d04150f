/*
 * The one way into long mode, shared by the BSP's 32-bit PVH entry and the APs' real-mode trampoline:
 * PAE paging on the static identity map, EFER.LME, then CR0.PG (with PE, so real mode goes straight to
 * long mode). EM and TS stay clear so x87 instructions (glue.mode=emulation-failure) run.
 * The caller far-jumps to 64-bit code right after. Assembler only.
 */
#include "defs.h"

.macro enter_long_mode
	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl $(CR0_PG | CR0_NE | CR0_ET | CR0_MP | CR0_PE), %eax
	movl %eax, %cr0
.endm
