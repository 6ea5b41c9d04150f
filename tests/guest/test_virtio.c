/*
 * virtio: the virtio-mmio windows the command line names (virtio_mmio.device= tokens, glue.virtio-scan)
 * hold version 2 devices; lists them. No line when the command line names none. blk<k> and rng use
 * the devices found here.
 */
#include "report.h"
#include "tests.h"
#include "virtio_mmio.h"

void test_virtio(const struct options *options)
{
	if (options->virtio_tokens == 0 && !options->virtio_scan_given)
		return;
	struct findings f = { 0 };
	virtio_discover(options, &f);
	test_report_findings("virtio", &f);
}
