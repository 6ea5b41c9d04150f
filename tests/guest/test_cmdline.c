/* cmdline: the command line arrived; the detail is the line exactly as the guest received it. */
#include "report.h"
#include "start_info.h"
#include "tests.h"

void test_cmdline(void)
{
	if (boot_info.cmdline_paddr == 0)
		test_report("cmdline", false, "no command line (cmdline_paddr is 0)");
	else if (boot_info.cmdline[0] == '\0')
		test_report("cmdline", false, "empty command line at 0x%lx", boot_info.cmdline_paddr);
	else if (boot_info.cmdline_truncated)
		test_report("cmdline", false, "longer than %u bytes", BOOT_CMDLINE_MAX - 1);
	else
		test_report("cmdline", true, "%s", boot_info.cmdline);
}
