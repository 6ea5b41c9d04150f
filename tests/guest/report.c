/*
 * The output protocol the host-side tests parse:
 *     GLUE-TEST <name> PASS|FAIL <detail>      one line per test
 *     GLUE-TEST-DONE <passed> <failed>         last
 * and then the end of the VM.
 */
#include "report.h"
#include "acpi_poweroff.h"
#include "format.h"
#include "serial.h"

#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_PULSE_RESET 0xfe /* pulse the CPU reset line: Glue ends the VM on it */
#define QEMU_DEBUG_EXIT_PORT 0xf4  /* QEMU's isa-debug-exit as configured in README.md */

static volatile uint32_t passed, failed;

void test_report(const char *name, bool pass, const char *detail_fmt, ...)
{
	char detail[4096]; /* room for the longest detail: the whole command line */
	va_list ap;
	va_start(ap, detail_fmt);
	vformat_buffer(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);

	atomic_inc(pass ? &passed : &failed);
	kprintf("GLUE-TEST %s %s %s\n", name, pass ? "PASS" : "FAIL", detail);
}

void test_report_fault(const char *name, const char *detail_fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, detail_fmt);
	vformat_buffer(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);

	atomic_inc(&failed);
	kprintf_urgent("GLUE-TEST %s FAIL %s\n", name, detail);
}

void found(struct findings *f, const char *fmt, ...)
{
	size_t used = strlen(f->found);
	va_list ap;
	va_start(ap, fmt);
	vformat_buffer(f->found + used, sizeof(f->found) - used, fmt, ap);
	va_end(ap);
}

bool problem(struct findings *f, const char *fmt, ...)
{
	if (f->problem[0])
		return false;
	va_list ap;
	va_start(ap, fmt);
	vformat_buffer(f->problem, sizeof(f->problem), fmt, ap);
	va_end(ap);
	return false;
}

void test_report_findings(const char *name, const struct findings *f)
{
	if (f->problem[0])
		test_report(name, false, "%s%s%s", f->found, f->found[0] ? ": " : "", f->problem);
	else
		test_report(name, true, "%s", f->found);
}

NORETURN void vm_exit(bool success)
{
	acpi_poweroff_if_asked();
	/* Glue: a reset request ends the VM (exit status 0). */
	outb(I8042_COMMAND_PORT, I8042_CMD_PULSE_RESET);
	/* QEMU microvm has no i8042: isa-debug-exit makes QEMU exit with status (value << 1) | 1. */
	outl(QEMU_DEBUG_EXIT_PORT, success ? 0 : 1);
	for (;;)
		cpu_relax();
}

NORETURN void tests_finish(void)
{
	uint32_t p = passed, f = failed;
	kprintf_urgent("GLUE-TEST-DONE %u %u\n", p, f); /* may follow a fault taken holding the lock */
	vm_exit(f == 0);
}
