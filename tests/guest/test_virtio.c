/*
 * virtio: the virtio-mmio windows the command line names (virtio_mmio.device= tokens, glue.virtio-scan)
 * hold version 2 devices, and the PCI functions test_pci found hold modern virtio-pci ones; lists them.
 * No line when the command line names no window and there is no PCI. blk<k>, rng and the rest use the
 * devices found here.
 */
#include "pci.h"
#include "report.h"
#include "tests.h"
#include "virtio.h"

void test_virtio(const struct options *options)
{
	if (options->virtio_tokens == 0 && !options->virtio_scan_given && pci_function_count == 0)
		return;
	struct findings f = { 0 };
	virtio_discover(options, &f);
	test_report_findings("virtio", &f);
}
