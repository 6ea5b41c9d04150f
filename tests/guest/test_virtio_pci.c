/*
 * With glue.pci=1, the PCI side of the first virtio-pci entropy device, one line each (after every
 * device test, since the last one leaves a BAR moved):
 *   pci-cfg-access     device_feature read through the VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9) equals
 *                      the one read from the common configuration in the BAR
 *   pci-msix-mask      a request completed while its queue's MSI-X entry is masked sets the entry's
 *                      pending bit and delivers nothing; unmasking delivers exactly one interrupt and
 *                      clears the bit (PCI 3.0, 6.8.2.9)
 *   pci-reset          after a request, a reset (status 0) clears queue_enable, and the device
 *                      initialized again completes requests from a fresh ring
 *   pci-config-change  a descriptor outside guest RAM makes the device set DEVICE_NEEDS_RESET and send
 *                      a configuration change on the config vector, no used buffer (2.1.2); after a reset
 *                      it works again
 *   pci-bar-move       every memory BAR of the device moved to a free place in the root bridge's
 *                      windows: the device initialized again at the new addresses completes requests
 *                      with their interrupts
 * Each line fails if there is no such device. Requests are single 4 KiB device-writable buffers on queue 0.
 */
#include "cmdline_key.h"
#include "pci_place.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_pci.h"
#include "virtio_request.h"

#define OUTSIDE_RAM (1ull << 44)     /* 16 TiB: no VMM here gives a guest RAM there */
#define OUTSIDE_BYTES (8u << 10)     /* over a page: QEMU bounces one page of MMIO, not two */
#define MASKED_WAIT_US 10000         /* for an interrupt that should not come */
#define CONFIG_CHANGE_TIMEOUT_US 2000000
#define REQUESTS 4

static uint8_t ring_memory[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t buffer[4096] __attribute__((aligned(4096)));

/* Starts the device with one queue and its interrupts; DRIVER_OK. */
static bool open_device(struct virtio_device *d, struct virtio_channel *c, struct findings *f)
{
	return virtio_start(d, VIRTIO_F_EVENT_IDX, f) && virtio_channel_open(c, d, 0, ring_memory, f) && virtio_driver_ok(d, f);
}

static bool requests(struct virtio_channel *c, unsigned n, struct findings *f)
{
	struct virtq_buffer b = { buffer, sizeof(buffer), true };
	uint32_t written;
	for (unsigned i = 0; i < n; i++)
		if (!virtio_request(c, &b, 1, false, &written, f))
			return false;
		else if (written == 0 || written > sizeof(buffer))
			return problem(f, "request %u: used length %u", c->requests, written);
	return true;
}

static bool check_cfg_access(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	if (!p->cfg_cap)
		return problem(f, "no VIRTIO_PCI_CAP_PCI_CFG capability");
	mmio_write32(p->common.address + VIRTIO_PCI_COMMON_DFSELECT, 0);
	uint32_t direct = mmio_read32(p->common.address + VIRTIO_PCI_COMMON_DF);
	uint32_t through = virtio_pci_cfg_read32(p, p->common.bar, p->common.offset + VIRTIO_PCI_COMMON_DF);
	found(f, ", capability at 0x%x: device_feature[0] 0x%x through it, 0x%x from BAR %u", p->cfg_cap, through, direct,
	      p->common.bar);
	return through == direct || problem(f, "they differ");
}

static bool check_mask(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	struct virtio_channel c;
	if (!open_device(d, &c, f) || !requests(&c, 1, f))
		return false;
	uint16_t entry = virtio_pci_queue_entry(p, 0);
	volatile uint32_t *count = &p->vector_interrupts[entry];
	found(f, ", entry %u vector 0x%x", entry, p->first_vector + entry);
	msix_mask(&p->msix, entry, true);
	uint32_t before = *count;

	struct virtq_buffer b = { buffer, sizeof(buffer), true };
	virtq_want_interrupts(&c.vq, true);
	virtq_add(&c.vq, &b, 1, false);
	if (virtq_publish(&c.vq))
		virtio_notify(d, 0);
	uint32_t head, written;
	if (!virtio_wait_used(&c, &head, &written))
		return problem(f, "no used buffer while masked");
	tsc_delay_us(MASKED_WAIT_US);
	bool pending = msix_pending(&p->msix, entry);
	found(f, ": used while masked, pending bit %u, %u interrupts", pending, *count - before);
	if (*count != before)
		return problem(f, "delivered while masked");
	if (!pending)
		return problem(f, "the pending bit is clear while masked");

	msix_mask(&p->msix, entry, false);
	uint64_t deadline = tsc_deadline_us(VIRTIO_INTERRUPT_TIMEOUT_US);
	while (*count == before && !tsc_passed(deadline))
		cpu_relax();
	tsc_delay_us(MASKED_WAIT_US);
	pending = msix_pending(&p->msix, entry);
	found(f, "; unmasked: %u interrupts, pending bit %u", *count - before, pending);
	if (*count - before != 1)
		return problem(f, "expected exactly one interrupt on unmask");
	if (pending)
		return problem(f, "the pending bit is still set");
	c.requests++;
	c.expected_interrupts++;
	return virtio_check_interrupts(&c, f);
}

static bool check_reset(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	struct virtio_channel c;
	if (!open_device(d, &c, f) || !requests(&c, REQUESTS, f))
		return false;
	uint16_t used_before = c.vq.used->idx;
	virtio_reset(d);
	mmio_write16(p->common.address + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	uint32_t status = virtio_status(d);
	uint16_t enabled = mmio_read16(p->common.address + VIRTIO_PCI_COMMON_Q_ENABLE);
	found(f, ", %u requests, used idx %u; reset: status %u, queue_enable %u", REQUESTS, used_before, status, enabled);
	if (status != 0 || enabled != 0)
		return problem(f, "expected status 0 and queue_enable 0 after the reset");
	if (!open_device(d, &c, f) || !requests(&c, REQUESTS, f))
		return false;
	found(f, "; again: %u requests, used idx %u", REQUESTS, c.vq.used->idx);
	return virtio_check_interrupts(&c, f);
}

static bool check_config_change(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	struct virtio_channel c;
	if (!open_device(d, &c, f) || !requests(&c, 1, f))
		return false;
	uint32_t used_before = d->used_interrupts;
	struct virtq_buffer b = { (const void *)(uintptr_t)OUTSIDE_RAM, OUTSIDE_BYTES, true };
	virtq_add(&c.vq, &b, 1, false);
	if (virtq_publish(&c.vq))
		virtio_notify(d, 0);
	uint64_t start = rdtsc(), deadline = tsc_deadline_us(CONFIG_CHANGE_TIMEOUT_US);
	while (d->config_interrupts == 0 && !tsc_passed(deadline))
		cpu_relax();
	uint64_t waited = rdtsc() - start;
	tsc_delay_us(MASKED_WAIT_US);
	uint32_t status = virtio_status(d), head, written;
	bool used = virtq_get_used(&c.vq, &head, &written);
	found(f, ", a %u KiB buffer at 0x%lx: %u config interrupts on vector 0x%x (%lu us), status 0x%x, %s", OUTSIDE_BYTES >> 10,
	      (uint64_t)OUTSIDE_RAM, p->vector_interrupts[VIRTIO_PCI_CONFIG_ENTRY], p->first_vector + VIRTIO_PCI_CONFIG_ENTRY,
	      waited * 1000000 / tsc_hz(), status, used ? "used" : "not used");
	if (d->config_interrupts != 1 || p->vector_interrupts[VIRTIO_PCI_CONFIG_ENTRY] != 1)
		return problem(f, "expected one configuration change interrupt on the config vector");
	if (!(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return problem(f, "DEVICE_NEEDS_RESET is not set");
	if (used || d->used_interrupts != used_before)
		return problem(f, "the bad buffer was used or brought a used buffer interrupt");
	virtio_reset(d);
	if (!open_device(d, &c, f) || !requests(&c, REQUESTS, f))
		return false;
	found(f, "; after a reset %u requests", REQUESTS);
	return virtio_check_interrupts(&c, f);
}

static bool check_bar_move(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	struct pci_host_windows w;
	if (!pci_host_windows(&w))
		return problem(f, "no root bridge _CRS in the DSDT to find a free place in");
	uint64_t offered = d->offered;
	for (unsigned i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *bar = &p->fn->bars[i];
		uint64_t old = bar->address, address;
		if (bar->io || bar->size == 0)
			continue;
		if (!pci_find_free(&w, bar->size, &address))
			return problem(f, "no free 0x%lx bytes for BAR %u", bar->size, i);
		pci_move_bar(p->fn, i, address);
		found(f, ", BAR %u 0x%lx -> 0x%lx", i, old, bar->address);
		if (bar->address != address)
			return problem(f, "BAR %u reads back 0x%lx", i, bar->address);
	}
	if (!virtio_pci_locate(p))
		return problem(f, "a structure is outside its BAR after the move");
	d->base = p->common.address;
	struct virtio_channel c;
	if (!open_device(d, &c, f) || !requests(&c, REQUESTS, f))
		return false;
	found(f, "; common at 0x%lx, %u requests", (uint64_t)p->common.address, REQUESTS);
	if (d->offered != offered)
		return problem(f, "device features 0x%lx, 0x%lx before the move", d->offered, offered);
	return virtio_check_interrupts(&c, f);
}

static void run(const char *name, bool (*check)(struct virtio_device *, struct findings *), struct virtio_device *d)
{
	struct findings f = { 0 };
	if (!d) {
		problem(&f, "no virtio-pci entropy device among %u virtio devices (glue.pci=1)", virtio_device_count);
	} else {
		found(&f, "%s", d->location);
		check(d, &f);
		virtio_reset(d);
	}
	test_report_findings(name, &f);
}

void test_virtio_pci(void)
{
	const char *v, *end;
	if (!cmdline_key("glue.pci=", &v, &end) || end - v != 1 || *v != '1')
		return;
	struct virtio_device *d = NULL;
	for (uint32_t k = 0; (d = virtio_find(VIRTIO_ID_ENTROPY, k)) && !d->pci; k++)
		;
	run("pci-cfg-access", check_cfg_access, d);
	run("pci-msix-mask", check_mask, d);
	run("pci-reset", check_reset, d);
	run("pci-config-change", check_config_change, d);
	run("pci-bar-move", check_bar_move, d);
}
