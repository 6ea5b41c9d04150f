/* The tests (one file each) and the modes that replace them. */
#ifndef TESTS_H
#define TESTS_H

#include "options.h"

void test_cmdline(void);
void test_memmap(const struct options *options);
void test_initrd(const struct options *options);
void test_acpi(const struct options *options);
void test_mptable(const struct options *options);
void test_irq(void);
void test_smp(const struct options *options);
void test_virtio(const struct options *options);
/* Key glue.pci=, read by the tests themselves: test_pci enumerates before test_virtio, test_virtio_pci runs last. */
void test_pci(void);
void test_virtio_pci(void);
void test_blk(const struct options *options);
void test_rng(const struct options *options);
void test_net(const struct options *options);
/* Keys glue.console= and glue.vsock=, read from the command line by the tests themselves. */
void test_console(void);
void test_vsock(void);
void test_gpu(void);   /* glue.gpu= */
void test_input(void); /* glue.input= */

/* Where the APs go at CPL3 (test_smp.c). */
NORETURN void ap_main(unsigned cpu);

NORETURN void run_counter(void);
NORETURN void run_emulation_failure(void);
/* The bench's modes (build/Bench*.cs): exit round trips, block read and network transmit throughput. */
NORETURN void run_exits(void);
NORETURN void run_blkbench(const struct options *options);
NORETURN void run_netbench(const struct options *options);
NORETURN void run_blk_soak(const struct options *options);
NORETURN void run_io_seq(const struct options *options);

#endif
