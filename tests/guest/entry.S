/*
 * From the PVH entry (32-bit protected mode, paging off) to C code at CPL3.
 *
 * On PVM every instruction at CPL0 (and in 32-bit or real mode) goes through KVM's instruction
 * emulator, thousands of times slower than CPL3, so this file does as little as it can: the page
 * tables, GDT and PVH note are built by the assembler at link time, and everything that can wait
 * (the IDT gates, the serial port, the tests) is done later at CPL3 in C.
 */
#include "long_mode.h"

/*
 * The PVH ELF note: the loader enters XEN_ELFNOTE_PHYS32_ENTRY's address in 32-bit protected mode.
 * Note name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY = 18 (Xen's public/elfnote.h).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f			/* namesz */
	.long 4f - 3f			/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY	/* type */
1:	.asciz "Xen"
2:	.p2align 2
3:	.long pvh_start32		/* desc: the 32-bit physical entry address */
4:	.p2align 2

	.section .text.entry, "ax"
	.code32
/*
 * PVH entry: EBX = physical address of struct hvm_start_info; CS/DS/ES/SS flat 4 GiB; no stack.
 * We only stash EBX; C copies what it needs out of start_info later, at CPL3.
 */
	.globl pvh_start32
pvh_start32:
	movl %ebx, pvh_start_info_paddr

	/*
	 * Mask both 8259 PICs (OCW1 to their data ports): firmware may have left the PIT's IRQ 0 on
	 * (SeaBIOS on QEMU q35 does), and an interrupt taken before idt_init fills the IDT is a triple
	 * fault. Everything here routes through the I/O APIC or MSI instead.
	 */
	movb $0xff, %al
	outb %al, $0xa1
	outb %al, $0x21

	enter_long_mode

	lgdt gdt_ptr
	ljmp $KERNEL_CS, $bsp_start64

	.code64
bsp_start64:
	xorl %edi, %edi			/* the BSP is CPU 0 */
	jmp cpu_enter_user

/*
 * APs come here from trampoline.S, already in 64-bit mode on our GDT and page tables.
 * Each takes the next CPU number; they may arrive in any order, hence the atomic add.
 */
	.globl ap_start64
ap_start64:
	movl $1, %edi
	lock xaddl %edi, next_cpu_number(%rip)
	cmpl $MAX_CPUS, %edi
	jae 1f
	jmp cpu_enter_user
1:	hlt				/* no room for this CPU: park it, IF is 0 */
	jmp 1b

/*
 * cpu_enter_user: the CPL0 setup every CPU does for itself, then SYSEXIT to cpu_main(cpu) at CPL3.
 * In: EDI = CPU number, IF = 0. Does not return.
 */
cpu_enter_user:
	movl $KERNEL_DS, %eax
	movl %eax, %ss

	/*
	 * Snapshot some CPUID leaves for cpuid.c: only at CPL0 does KVM (and so the VMM's CPUID
	 * table) answer CPUID on PVM. cpuid_snapshot[cpu][i] = CPUID(cpuid_snapshot_leaves[i], 0).
	 */
	imull $(CPUID_SNAPSHOT_LEAVES * 16), %edi, %esi
	addq $cpuid_snapshot, %rsi
	xorl %r8d, %r8d
1:	movl cpuid_snapshot_leaves(, %r8, 4), %eax
	xorl %ecx, %ecx
	cpuid
	movl %eax, 0(%rsi)
	movl %ebx, 4(%rsi)
	movl %ecx, 8(%rsi)
	movl %edx, 12(%rsi)
	addq $16, %rsi
	incl %r8d
	cmpl $CPUID_SNAPSHOT_LEAVES, %r8d
	jb 1b

	/* This CPU's kernel stack: where interrupts from CPL3 land (TSS.RSP0). */
	imull $KERNEL_STACK_BYTES, %edi, %eax
	leaq kernel_stacks + KERNEL_STACK_BYTES(%rax), %rsp

	/*
	 * This CPU's own TSS: LTR marks a TSS descriptor busy and a second LTR of it faults, and each
	 * CPU needs its own RSP0 anyway. The I/O bitmap is in .bss, so all zeros: every port granted.
	 */
	imull $TSS_STRIDE, %edi, %ebx
	addq $tss_area, %rbx
	movq %rsp, TSS_RSP0(%rbx)
	movw $TSS_IO_BITMAP, TSS_IOMAP_BASE(%rbx)
	movb $0xff, TSS_IO_BITMAP + IO_BITMAP_BYTES(%rbx)

	/*
	 * Its 16-byte GDT descriptor (SDM Vol. 3A, "TSS Descriptor in 64-bit mode"):
	 * limit[15:0] | base[23:0] << 16 | type << 40 | limit[19:16] << 48 | base[31:24] << 56,
	 * then base[63:32] (zero: the TSS is below 4 GiB). TSS_LIMIT < 64 KiB, so limit[19:16] = 0.
	 */
	movl %ebx, %eax
	andl $0xffffff, %eax
	shlq $16, %rax
	movq %rbx, %rdx
	shrq $24, %rdx
	shlq $56, %rdx
	orq %rdx, %rax
	movabsq $(TSS_LIMIT | (TSS_DESC_AVAILABLE << 40)), %rdx
	orq %rdx, %rax
	movl %edi, %esi
	shll $4, %esi
	movq %rax, gdt + GDT_TSS0(%rsi)
	movq $0, gdt + GDT_TSS0 + 8(%rsi)
	addl $GDT_TSS0, %esi
	ltr %si

	lidt idt_ptr

	/* SYSEXIT takes its CPL3 CS/SS from IA32_SYSENTER_CS. */
	movl $MSR_IA32_SYSENTER_CS, %ecx
	movl $KERNEL_CS, %eax
	xorl %edx, %edx
	wrmsr

	/* CPL3 data segments; a DPL3 selector may be loaded at CPL0. */
	movl $USER_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs

	/*
	 * SYSEXIT: RIP = RDX, RSP = RCX, CS/SS from the MSR; it leaves RFLAGS alone, so STI here is
	 * what gives CPL3 IF = 1 (STI's one-instruction shadow covers the SYSEXIT). CPL3 cannot do
	 * STI itself on PVM. RSP is 8 below 16-byte alignment, as after a CALL; EDI is the argument.
	 */
	imull $USER_STACK_BYTES, %edi, %ecx
	addq $user_stacks + USER_STACK_BYTES - 8, %rcx
	movq $cpu_main, %rdx
	sti
	sysexitq

	.data
	.globl pvh_start_info_paddr
pvh_start_info_paddr:
	.long 0
next_cpu_number:
	.long 1				/* 0 is the BSP */

/* Pseudo-descriptors: 2-byte limit, then the base (8 bytes; 32- and 16-bit code read 4). */
	.p2align 4
gdt_ptr:
	.word GDT_BYTES - 1
	.quad gdt
	.p2align 4
idt_ptr:
	.word 256 * 16 - 1
	.quad idt

/*
 * The GDT. Descriptors as in the probes in shared/pvm: flat 64-bit code (L=1) and flat data,
 * DPL 0 and DPL 3, with the accessed bit preset so the CPU never writes them.
 */
	.p2align 4
	.globl gdt
gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00af9b000000ffff	/* 0x08 KERNEL_CS: 64-bit code, DPL 0 */
	.quad 0x00cf93000000ffff	/* 0x10 KERNEL_DS: data, DPL 0 */
	.quad 0				/* 0x18 32-bit SYSEXIT's CS, unused */
	.quad 0				/* 0x20 32-bit SYSEXIT's SS, unused */
	.quad 0x00affb000000ffff	/* 0x28 USER_CS: 64-bit code, DPL 3 */
	.quad 0x00cff3000000ffff	/* 0x30 USER_DS: data, DPL 3 */
	.fill 2 * MAX_CPUS, 8, 0	/* 0x38 one TSS descriptor per CPU, written by cpu_enter_user */

/*
 * Page tables: the first 4 GiB identity-mapped with 2 MiB pages, every entry with the U/S bit so
 * CPL3 can reach everything (RAM, the LAPIC at 0xfee00000, device MMIO). 3-4 GiB holds the MMIO
 * gap, so it is mapped cache-disabled. Built by the assembler: no loop runs at (emulated) CPL0.
 */
	.section .data.pagetables, "aw"
	.p2align 12
	.globl pml4
pml4:
	.quad pdpt + PTE_P + PTE_RW + PTE_US
	.fill 511, 8, 0
pdpt:
	.quad page_directories + 0x0000 + PTE_P + PTE_RW + PTE_US
	.quad page_directories + 0x1000 + PTE_P + PTE_RW + PTE_US
	.quad page_directories + 0x2000 + PTE_P + PTE_RW + PTE_US
	.quad page_directories + 0x3000 + PTE_P + PTE_RW + PTE_US
	.fill 508, 8, 0
page_directories:
	.set .Laddress, 0
	.rept 3 * 512			/* 0 - 3 GiB */
	.quad .Laddress + PTE_P + PTE_RW + PTE_US + PTE_PS
	.set .Laddress, .Laddress + 0x200000
	.endr
	.rept 512			/* 3 - 4 GiB, cache-disabled */
	.quad .Laddress + PTE_P + PTE_RW + PTE_US + PTE_PS + PTE_PWT + PTE_PCD
	.set .Laddress, .Laddress + 0x200000
	.endr

/* Per-CPU memory and the IDT. The loader zeroes .bss (p_memsz > p_filesz), which the I/O bitmaps rely on. */
	.bss
	.p2align 12
	.globl idt
idt:
	.skip 256 * 16
tss_area:
	.skip TSS_STRIDE * MAX_CPUS
	.p2align 12
kernel_stacks:
	.skip KERNEL_STACK_BYTES * MAX_CPUS
user_stacks:
	.skip USER_STACK_BYTES * MAX_CPUS
