/*
 * Where every CPU arrives at CPL3 (entry.S SYSEXITs to cpu_main), and the BSP's order of work.
 */
#include "irq.h"
#include "options.h"
#include "report.h"
#include "serial.h"
#include "start_info.h"
#include "tests.h"

static struct options options;

static NORETURN void bsp_main(void)
{
	/* IF is already 1: give every vector a gate before anything could arrive. */
	idt_init();
	serial_init();

	/* Before anything writes low memory (the SMP test puts the AP trampoline there). */
	if (!boot_info_copy()) {
		test_report("start-info", false, "magic 0x%x at 0x%x, expected 0x%x", boot_info.magic,
			    boot_info.start_info_paddr, XEN_HVM_START_MAGIC_VALUE);
		tests_finish();
	}
	options_parse(boot_info.cmdline, &options);

	if (options.mode == MODE_COUNTER)
		run_counter();
	if (options.mode == MODE_EMULATION_FAILURE)
		run_emulation_failure();
	if (options.mode == MODE_EXITS)
		run_exits();
	if (options.mode == MODE_BLKBENCH)
		run_blkbench(&options);
	if (options.mode == MODE_NETBENCH)
		run_netbench(&options);
	if (options.mode == MODE_BLK_SOAK)
		run_blk_soak(&options);
	if (options.mode == MODE_IO_SEQ)
		run_io_seq(&options);

	test_cmdline();
	test_memmap(&options);
	test_initrd(&options);
	test_acpi(&options);
	test_mptable(&options);
	test_irq();
	test_smp(&options);
	test_pci();
	test_virtio(&options);
	test_blk(&options);
	test_rng(&options);
	test_net(&options);
	test_console();
	test_vsock();
	test_gpu();
	test_input();
	test_virtio_pci();
	tests_finish();
}

NORETURN void cpu_main(unsigned cpu)
{
	if (cpu == 0)
		bsp_main();
	ap_main(cpu);
}
