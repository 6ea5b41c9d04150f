/*
 * pci: the PCI functions, found through ECAM (from MCFG) and through configuration mechanism #1,
 * must be the same ones (bus/device/function, IDs, class, header type); every BAR is sized. It runs
 * when there is an MCFG table or the command line has glue.pci=1 (then mechanism #1 alone will do
 * without MCFG, and no function at all is a failure); with glue.pci=0 there must be neither an MCFG
 * nor a function behind mechanism #1. What it found is what virtio_discover then looks at.
 */
#include "cmdline_key.h"
#include "pci.h"
#include "pci_place.h"
#include "tests.h"

static struct pci_function by_mechanism_1[PCI_FUNCTIONS_MAX];

static bool same_function(const struct pci_function *a, const struct pci_function *b)
{
	return a->bus == b->bus && a->device == b->device && a->function == b->function && a->vendor_id == b->vendor_id &&
	       a->device_id == b->device_id && a->class_revision == b->class_revision && a->header_type == b->header_type;
}

static void found_function(struct findings *f, const struct pci_function *fn, bool first)
{
	found(f, "%s %02x:%02x.%u %04x:%04x", first ? ":" : ",", fn->bus, fn->device, fn->function, fn->vendor_id,
	      fn->device_id);
	bool any = false;
	for (unsigned i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct pci_bar *b = &fn->bars[i];
		if (b->size == 0)
			continue;
		found(f, "%s%u%s 0x%lx/0x%lx%s", any ? ", " : " [", i, b->io ? " io" : "", b->address, b->size, b->is64 ? " m64" : "");
		any = true;
	}
	if (any)
		found(f, "]");
}

/* Mechanism #1 must see what ECAM saw, in the same order. */
static bool compare_mechanisms(struct findings *f)
{
	uint32_t n = pci_enumerate(PCI_MECHANISM_1, by_mechanism_1, PCI_FUNCTIONS_MAX);
	if (n != pci_function_count)
		return problem(f, "mechanism #1 finds %u functions, ECAM %u", n, pci_function_count);
	for (uint32_t i = 0; i < n; i++) {
		const struct pci_function *a = &by_mechanism_1[i], *b = &pci_functions[i];
		if (!same_function(a, b))
			return problem(f, "function %u: mechanism #1 has %02x:%02x.%u %04x:%04x class 0x%x, ECAM %02x:%02x.%u "
					  "%04x:%04x class 0x%x", i, a->bus, a->device, a->function, a->vendor_id, a->device_id,
				       a->class_revision, b->bus, b->device, b->function, b->vendor_id, b->device_id,
				       b->class_revision);
	}
	found(f, "; mechanism #1 finds the same %u", n);
	return true;
}

static void found_windows(struct findings *f)
{
	struct pci_host_windows w;
	if (!pci_host_windows(&w)) {
		found(f, "; no root bridge _CRS in the DSDT");
		return;
	}
	found(f, "; root bridge buses %u-%u, memory", w.bus_start, w.bus_end);
	for (uint32_t i = 0; i < w.count; i++)
		found(f, "%s 0x%lx-0x%lx", i ? "," : "", w.memory[i].base, w.memory[i].limit);
}

void test_pci(void)
{
	const char *v, *end;
	bool given = cmdline_key("glue.pci=", &v, &end);
	bool want = given && end - v == 1 && *v == '1', refuse = given && end - v == 1 && *v == '0';
	struct findings f = { 0 };
	if (given && !want && !refuse) {
		problem(&f, "glue.pci is not 1 or 0");
		test_report_findings("pci", &f);
		return;
	}
	if (!pci_init(want, &f)) {
		test_report_findings("pci", &f);
		return;
	}
	if (refuse) {
		uint32_t n = pci_enumerate(PCI_MECHANISM_1, by_mechanism_1, PCI_FUNCTIONS_MAX);
		found(&f, "%s, %u functions behind mechanism #1", pci_ecam.found ? "MCFG" : "no MCFG", n);
		if (pci_ecam.found || n)
			problem(&f, "expected no PCI (glue.pci=0)");
		test_report_findings("pci", &f);
		return;
	}
	if (!pci_ecam.found && !want)
		return; /* no MCFG, nothing asked: no line */
	if (pci_ecam.found)
		found(&f, "ecam 0x%lx buses %u-%u", pci_ecam.base, pci_ecam.start_bus, pci_ecam.end_bus);
	else
		found(&f, "no MCFG, mechanism #1 only");
	/* Placed first, so the list shows where the BARs are now. */
	struct findings placing = { 0 };
	uint32_t placed = 0;
	bool placed_all = pci_place_bars(&placed, &placing);
	found(&f, ", %u functions", pci_function_count);
	for (uint32_t i = 0; i < pci_function_count; i++)
		found_function(&f, &pci_functions[i], i == 0);
	if (pci_function_count == 0)
		problem(&f, "expected a host bridge at least");
	else if (pci_ecam.found)
		compare_mechanisms(&f);
	found_windows(&f);
	if (placed)
		found(&f, "; placed %u unassigned BARs", placed);
	if (!placed_all)
		problem(&f, "%s", placing.problem);
	test_report_findings("pci", &f);
}
