/*
 * Interrupt and exception entry, and the way back to CPL3 without IRET.
 *
 * KVM's emulator, which runs all CPL0 code on PVM, has no protected-mode IRET. So a handler leaves
 * CPL0 with `sti; sysexit` instead: the CPL0 part (isr_common) copies what it must keep onto the
 * interrupted CPL3 stack and SYSEXITs to isr_user_entry at CPL3, which calls the C dispatcher and
 * then restores the interrupted registers and returns to the interrupted RIP with RET.
 *
 * Every interrupt arrives from CPL3 (CPL0 code runs with IF = 0), so the CPU always switches to
 * TSS.RSP0 and pushes SS, RSP, RFLAGS, CS, RIP (and an error code for some exceptions).
 */
#include "defs.h"

	.text
	.code64

/*
 * One 16-byte stub per vector, so that vector n's stub is at isr_stubs + 16 * n (irq.c points
 * the IDT gates there). Each pushes an error code (0 when the CPU pushes none) and the vector.
 * Vectors with a CPU error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21,
 * #VC 29, #SX 30 (Intel SDM Vol. 3A, "Exception and Interrupt Reference"; AMD APM for 29, 30).
 */
	.p2align 4
	.globl isr_stubs
isr_stubs:
	.set .Lvector, 0
	.rept 256
	.p2align 4
	.if .Lvector == 8 || (.Lvector >= 10 && .Lvector <= 14) || .Lvector == 17 || .Lvector == 21 || .Lvector == 29 || .Lvector == 30
	.else
	pushq $0
	.endif
	pushq $.Lvector
	jmp isr_common
	.set .Lvector, .Lvector + 1
	.endr
	.p2align 4
	.globl isr_stubs_end
isr_stubs_end:				/* linker.ld checks that every stub fit in 16 bytes */

/*
 * What isr_common leaves on the interrupted stack, below its 128-byte red zone (the interrupted
 * code may keep data there), lowest address first; struct isr_frame in irq.h matches:
 *     vector, error, rflags, rax, rcx, rdx, rip
 * and then the 128 red-zone bytes up to the interrupted RSP. RFLAGS is the one the CPU pushed:
 * the SUB below changes the arithmetic flags, so flags read later at CPL3 are no longer the
 * interrupted code's (a `test; je` with an interrupt in between would branch wrongly).
 */
#define RED_ZONE 128
#define FRAME_BYTES (7 * 8)

/* Kernel stack here: vector, error, RIP, CS, RFLAGS, RSP, SS. */
isr_common:
	pushq %rax			/* rax, vector, error, RIP, CS, RFLAGS, RSP, SS */
	movq 48(%rsp), %rax		/* the interrupted RSP */
	subq $(RED_ZONE + FRAME_BYTES), %rax
	movq %rcx, 32(%rax)
	movq %rdx, 40(%rax)
	movq (%rsp), %rcx
	movq %rcx, 24(%rax)		/* rax */
	movq 8(%rsp), %rcx
	movq %rcx, 0(%rax)		/* vector */
	movq 16(%rsp), %rcx
	movq %rcx, 8(%rax)		/* error */
	movq 40(%rsp), %rcx
	movq %rcx, 16(%rax)		/* rflags */
	movq 24(%rsp), %rcx
	movq %rcx, 48(%rax)		/* rip */
	/* The kernel stack is simply abandoned: the next interrupt starts at TSS.RSP0 again. */
	movq %rax, %rcx			/* SYSEXIT: RSP = RCX */
	movq $isr_user_entry, %rdx	/* SYSEXIT: RIP = RDX */
	sti				/* the STI shadow covers SYSEXIT: IF = 1 only at CPL3 */
	sysexitq

/*
 * CPL3, IF = 1, RSP = the frame above. Save what the C ABI lets isr_dispatch clobber, call it with
 * the frame, restore, and RET to the interrupted RIP; `ret $RED_ZONE` also drops the red-zone gap
 * so RSP is the interrupted RSP again. Another interrupt may arrive at any point here: it builds
 * its own frame below the current RSP, so nesting is harmless.
 */
isr_user_entry:
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbp
	movq %rsp, %rbp
	andq $-16, %rsp			/* the ABI wants RSP 16-byte aligned at the call */
	cld
	leaq 56(%rbp), %rdi		/* &frame: above rbp and r11..rsi (7) */
	call isr_dispatch
	movq %rbp, %rsp
	popq %rbp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	addq $16, %rsp			/* vector, error */
	popfq				/* the interrupted flags; at CPL3 IF stays as it is (1). POP and RET keep them */
	popq %rax
	popq %rcx
	popq %rdx
	ret $RED_ZONE

/*
 * glue.mode=emulation-failure: the IDT gate of EMULATION_FAILURE_VECTOR points here, and the test
 * sends itself that vector. At CPL0 an instruction KVM cannot emulate ends KVM_RUN with
 * KVM_EXIT_INTERNAL_ERROR (at CPL3 KVM would inject #UD into the guest instead). An x87 load is
 * not in KVM's emulator (arch/x86/kvm/emulate.c: escape_d9 has no FLD); from an unbacked address
 * it also needs emulating on hardware-virtualized KVM, where CPL0 code otherwise runs natively.
 */
	.globl emulation_failure_cpl0
emulation_failure_cpl0:
	movl $EMULATION_FAILURE_ADDR, %eax
	flds (%rax)
	fstp %st(0)
	/* The VMM emulated it after all: go on like any interrupt, so the test can report FAIL. */
	pushq $0
	pushq $EMULATION_FAILURE_VECTOR
	jmp isr_common
