#ifndef REPORT_H
#define REPORT_H

#include "lib.h"

/* Prints `GLUE-TEST <name> PASS|FAIL <detail>` and counts it. */
void test_report(const char *name, bool pass, const char *detail_fmt, ...) __attribute__((format(printf, 3, 4)));
/* A failure found in a fault handler: printed even if this CPU was interrupted holding the serial lock. */
void test_report_fault(const char *name, const char *detail_fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * What a test found, appended as it goes, and the first problem it met; test_report_findings prints
 * them as one line: PASS "<found>" if there was no problem, else FAIL "<found>: <problem>" (or just the
 * problem if nothing was found).
 */
struct findings {
	char found[1024];
	char problem[320];
};
void found(struct findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the problem unless one is already recorded; returns false so a check can `return problem(...)`. */
bool problem(struct findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_report_findings(const char *name, const struct findings *f);

/* Prints `GLUE-TEST-DONE <passed> <failed>` and ends the VM. */
NORETURN void tests_finish(void);
/* Ends the VM: Glue through the i8042 reset, QEMU through isa-debug-exit; else spins. */
NORETURN void vm_exit(bool success);

#endif
