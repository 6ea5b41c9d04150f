/*
 * Where the virtio-mmio devices are: each virtio_mmio.device=<size>@<base>:<irq> token names one
 * window (the way Linux learns of them on a machine without a device tree or ACPI description), and
 * glue.virtio-scan=<base>:<stride>:<count>:<irq> names `count` windows `stride` apart, window n with
 * GSI irq + n. A named window must have the magic value; a scanned one without it is simply not a
 * device. Either must be version 2 (not legacy); device ID 0 is an empty slot (4.2.3.1.1). The
 * virtio-pci devices among the PCI functions (virtio_pci_discover.c) come after all of these.
 */
#include "virtio_mmio.h"
#include "format.h"
#include "virtio_pci.h"

struct virtio_device virtio_devices[VIRTIO_DEVICES_MAX];
uint32_t virtio_device_count;

static const char *const names[] = {
	[VIRTIO_ID_NET] = "net", [VIRTIO_ID_BLOCK] = "blk", [VIRTIO_ID_CONSOLE] = "console", [VIRTIO_ID_ENTROPY] = "rng",
};

const char *virtio_device_name(uint32_t device_id)
{
	return device_id < ARRAY_SIZE(names) && names[device_id] ? names[device_id] : "other";
}

struct virtio_device *virtio_find(uint32_t device_id, uint32_t k)
{
	for (uint32_t i = 0; i < virtio_device_count; i++)
		if (virtio_devices[i].device_id == device_id && k-- == 0)
			return &virtio_devices[i];
	return NULL;
}

/* Only the first 4 GiB are mapped. */
static bool readable(uint64_t base)
{
	return base <= 0x100000000ull - 0x1000 && base % 4 == 0;
}

static struct virtio_device *known(uint64_t base)
{
	for (uint32_t i = 0; i < virtio_device_count; i++)
		if (virtio_devices[i].base == base)
			return &virtio_devices[i];
	return NULL;
}

/* Looks at one window; adds a device if there is one. */
static void probe(uint64_t base, uint64_t irq, bool named, const char *found_by, uint32_t *empty, struct findings *f)
{
	struct virtio_device *seen = known(base);
	if (seen) {
		if (seen->irq != irq)
			problem(f, "0x%lx has GSI %u from %s and %lu from %s", base, seen->irq, seen->found_by, irq, found_by);
		return;
	}
	if (!readable(base)) {
		problem(f, "window 0x%lx from %s is not 4-byte aligned below 4 GiB", base, found_by);
		return;
	}
	uint32_t magic = mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC) {
		if (named)
			problem(f, "window 0x%lx from %s has magic 0x%x", base, found_by, magic);
		return;
	}
	uint32_t version = mmio_read32(base + VIRTIO_MMIO_VERSION);
	if (version != VIRTIO_MMIO_MODERN_VERSION) {
		problem(f, "window 0x%lx has version %u%s, expected 2", base, version, version == 1 ? " (legacy)" : "");
		return;
	}
	uint32_t id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);
	if (id == 0) {
		(*empty)++;
		return;
	}
	if (irq > 0xffffffffu) {
		problem(f, "window 0x%lx: GSI %lu", base, irq);
		return;
	}
	if (virtio_device_count == VIRTIO_DEVICES_MAX) {
		problem(f, "more than %u devices", VIRTIO_DEVICES_MAX);
		return;
	}
	struct virtio_device *d = &virtio_devices[virtio_device_count++];
	*d = (struct virtio_device){
		.base = base, .irq = (uint32_t)irq, .device_id = id, .found_by = found_by, .transport = &virtio_mmio_transport
	};
	format_buffer(d->location, sizeof(d->location), "0x%lx irq %u", base, d->irq);
}

void virtio_discover(const struct options *o, struct findings *f)
{
	uint32_t empty = 0;
	uint32_t tokens = o->virtio_tokens - o->virtio_tokens_bad;
	if (o->virtio_tokens_bad)
		problem(f, "%u virtio_mmio.device tokens are not <size>@<base>:<irq>", o->virtio_tokens_bad);
	if (tokens > VIRTIO_TOKENS_MAX) {
		problem(f, "%u virtio_mmio.device tokens, more than the %u this guest reads", tokens, VIRTIO_TOKENS_MAX);
		tokens = VIRTIO_TOKENS_MAX;
	}
	for (uint32_t i = 0; i < tokens; i++)
		probe(o->virtio_windows[i].base, o->virtio_windows[i].irq, true, "cmdline", &empty, f);

	if (o->virtio_scan_given && !o->virtio_scan_valid)
		problem(f, "glue.virtio-scan is not <base>:<stride>:<count>:<irq> with stride and count > 0");
	else if (o->virtio_scan_given)
		for (uint64_t n = 0; n < o->scan_count && n < 1024; n++)
			probe(o->scan_base + n * o->scan_stride, o->scan_irq + n, false, "scan", &empty, f);

	virtio_pci_discover(f);

	found(f, "%u devices", virtio_device_count);
	for (uint32_t i = 0; i < virtio_device_count; i++) {
		const struct virtio_device *d = &virtio_devices[i];
		found(f, "%s %s %s (%s)", i ? "," : ":", virtio_device_name(d->device_id), d->location, d->found_by);
	}
	found(f, "; %u empty slots", empty);
}
