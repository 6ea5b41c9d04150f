/*
 * Layout and constants shared by the assembly (entry.S, isr.S, trampoline.S) and the C code.
 * Only plain #defines here: the .S files include this through the C preprocessor.
 */
#ifndef DEFS_H
#define DEFS_H

/* Where the image is linked and loaded (the PVH loader puts each PT_LOAD at its p_paddr). */
#define GUEST_LOAD_ADDR 0x100000

/* How many CPUs the guest can bring up; each has its own TSS, kernel stack and user stack. */
#define MAX_CPUS 32

/*
 * GDT selectors. SYSEXIT with REX.W loads CS = IA32_SYSENTER_CS + 32 and SS = IA32_SYSENTER_CS + 40,
 * both with RPL 3 (Intel SDM Vol. 2B, SYSEXIT), so the user segments sit at those two offsets.
 */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS (KERNEL_CS + 32 + 3) /* 0x2b */
#define USER_DS (KERNEL_CS + 40 + 3) /* 0x33 */
#define GDT_TSS0 0x38                /* CPU n's 16-byte TSS descriptor is at GDT_TSS0 + 16 * n */
#define GDT_BYTES (GDT_TSS0 + 16 * MAX_CPUS)

/* 64-bit TSS fields (Intel SDM Vol. 3A, "64-Bit TSS Format"). */
#define TSS_RSP0 0x04
#define TSS_IOMAP_BASE 0x66 /* 16-bit offset of the I/O permission bitmap from the TSS base */
#define TSS_IO_BITMAP 0x68  /* we put the bitmap right after the 104-byte TSS */
#define IO_BITMAP_BYTES 8192 /* one bit per port, 65536 ports; a clear bit grants the port */
/* The byte after the bitmap must be 0xff (SDM: "I/O Permission Bit Map"); the limit covers it. */
#define TSS_LIMIT (TSS_IO_BITMAP + IO_BITMAP_BYTES)
#define TSS_STRIDE 0x2080 /* TSS_LIMIT + 1, rounded up to 128 bytes */
/* Descriptor type byte: present, DPL 0, type 9 = available 64-bit TSS (LTR makes it 0xb, busy). */
#define TSS_DESC_AVAILABLE 0x89

#define KERNEL_STACK_BYTES 4096 /* CPL0 only runs the few instructions of isr_common on it */
#define USER_STACK_BYTES 32768

/* How many CPUID leaves each CPU snapshots at CPL0 (cpuid.c lists them; see cpuid.h for why). */
#define CPUID_SNAPSHOT_LEAVES 6

/* Control registers and MSRs (Intel SDM Vol. 3A ch. 2 and Vol. 4). */
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_PG 0x80000000
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define MSR_IA32_SYSENTER_CS 0x174

/* Page-table entry bits (Intel SDM Vol. 3A, "Paging"). */
#define PTE_P (1 << 0)
#define PTE_RW (1 << 1)
#define PTE_US (1 << 2) /* user: CPL3 may touch it; every mapping here has it */
#define PTE_PWT (1 << 3)
#define PTE_PCD (1 << 4)
#define PTE_PS (1 << 7) /* in a page-directory entry: a 2 MiB page */

/*
 * The AP start-up page: below 1 MiB, 4 KiB aligned, and used neither by Glue (boot structures below
 * 0x30000) nor by QEMU's PVH option ROM. The SIPI vector is its page number.
 */
#define AP_TRAMPOLINE_ADDR 0x70000
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_ADDR >> 12)

/*
 * glue.mode=emulation-failure reads from here with an x87 instruction. It is in the VMM's MMIO gap
 * (0xd0000000 up to the IOAPIC at 0xfec00000) and no device of Glue's or QEMU microvm's is there.
 */
#define EMULATION_FAILURE_ADDR 0xe0000000
/* The vector whose gate points at the CPL0 code that does that read. */
#define EMULATION_FAILURE_VECTOR 0x41

#endif
