/*
 * Finding virtio-pci devices: functions with vendor 0x1af4 and a modern device ID (4.1.2), and the
 * capability walk (4.1.4): the first usable capability of each structure type, each inside an
 * assigned memory BAR below 4 GiB (the part of memory this guest maps), then MSI-X.
 */
#include "virtio_pci.h"
#include "format.h"
#include "pci_place.h"

#define FOUR_GIB (1ull << 32)
#define VIRTIO_PCI_FIRST_VECTOR 0x80 /* PCI device n's MSI-X entries interrupt on 0x80 + 5n ... */
#define VIRTIO_PCI_DEVICES_MAX ((0xf0 - VIRTIO_PCI_FIRST_VECTOR) / VIRTIO_PCI_VECTORS)

static struct virtio_pci devices[VIRTIO_PCI_DEVICES_MAX];
static uint32_t device_count;

static bool locate_region(const struct pci_function *fn, struct virtio_pci_region *r)
{
	const struct pci_bar *b = &fn->bars[r->bar];
	if (r->bar >= PCI_STD_NUM_BARS || b->io || b->size == 0 || b->address == 0 || r->offset + (uint64_t)r->length > b->size ||
	    b->address + b->size > FOUR_GIB)
		return false;
	r->address = (uintptr_t)(b->address + r->offset);
	return true;
}

bool virtio_pci_locate(struct virtio_pci *p)
{
	return locate_region(p->fn, &p->common) && locate_region(p->fn, &p->notify) && locate_region(p->fn, &p->isr) &&
	       (p->device.length == 0 || locate_region(p->fn, &p->device)) && msix_locate(p->fn, &p->msix);
}

/* Walks the vendor capabilities; keeps the first of each type whose BAR can be used (4.1.4.1). */
static bool walk_capabilities(struct virtio_pci *p, struct findings *f)
{
	const struct pci_function *fn = p->fn;
	for (uint8_t cap = pci_find_capability(fn, PCI_CAP_ID_VNDR, 0); cap; cap = pci_find_capability(fn, PCI_CAP_ID_VNDR, cap)) {
		uint8_t type = pci_read8(fn, cap + VIRTIO_PCI_CAP_CFG_TYPE);
		struct virtio_pci_region r = { .bar = pci_read8(fn, cap + VIRTIO_PCI_CAP_BAR),
					       .offset = pci_read32(fn, cap + VIRTIO_PCI_CAP_OFFSET),
					       .length = pci_read32(fn, cap + VIRTIO_PCI_CAP_LENGTH) };
		struct virtio_pci_region *slot = type == VIRTIO_PCI_CAP_COMMON_CFG   ? &p->common
						 : type == VIRTIO_PCI_CAP_NOTIFY_CFG ? &p->notify
						 : type == VIRTIO_PCI_CAP_ISR_CFG    ? &p->isr
						 : type == VIRTIO_PCI_CAP_DEVICE_CFG ? &p->device
										     : NULL;
		if (type == VIRTIO_PCI_CAP_PCI_CFG && !p->cfg_cap)
			p->cfg_cap = cap;
		if (!slot || slot->length != 0 || r.length == 0 || !locate_region(fn, &r))
			continue;
		*slot = r;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			p->notify_off_multiplier = pci_read32(fn, cap + VIRTIO_PCI_NOTIFY_CAP_MULT);
	}
	if (!p->common.length || !p->notify.length || !p->isr.length)
		return problem(f, "%02x:%02x.%u lacks a usable %s capability", fn->bus, fn->device, fn->function,
			       !p->common.length ? "common" : !p->notify.length ? "notify" : "ISR");
	if (p->common.length < VIRTIO_PCI_COMMON_Q_USEDHI + 4)
		return problem(f, "%02x:%02x.%u: common configuration of %u bytes", fn->bus, fn->device, fn->function,
			       p->common.length);
	return msix_find(fn, &p->msix, f);
}

static void attach(struct pci_function *fn, struct findings *f)
{
	if (device_count == VIRTIO_PCI_DEVICES_MAX) {
		problem(f, "more than %u virtio-pci devices", VIRTIO_PCI_DEVICES_MAX);
		return;
	}
	if (virtio_device_count == VIRTIO_DEVICES_MAX) {
		problem(f, "more than %u devices", VIRTIO_DEVICES_MAX);
		return;
	}
	struct virtio_pci *p = &devices[device_count];
	*p = (struct virtio_pci){ .fn = fn, .first_vector = (uint8_t)(VIRTIO_PCI_FIRST_VECTOR + VIRTIO_PCI_VECTORS * device_count) };
	pci_write16(fn, PCI_COMMAND, pci_read16(fn, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (!walk_capabilities(p, f))
		return;
	device_count++;
	p->num_queues = mmio_read16(p->common.address + VIRTIO_PCI_COMMON_NUMQ);
	struct virtio_device *d = &virtio_devices[virtio_device_count++];
	*d = (struct virtio_device){ .base = p->common.address, .device_id = fn->device_id - VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
				     .found_by = "pci", .transport = &virtio_pci_transport, .pci = p };
	format_buffer(d->location, sizeof(d->location), "pci %02x:%02x.%u", fn->bus, fn->device, fn->function);
}

void virtio_pci_discover(struct findings *f)
{
	uint32_t placed;
	if (!pci_initialized() && pci_init(false, f))
		pci_place_bars(&placed, f); /* a mode without test_pci: MCFG or no PCI */
	device_count = 0;
	for (uint32_t i = 0; i < pci_function_count; i++) {
		struct pci_function *fn = &pci_functions[i];
		if (fn->vendor_id != PCI_VENDOR_ID_REDHAT_QUMRANET || fn->header_type != PCI_HEADER_TYPE_NORMAL)
			continue;
		if (fn->device_id >= VIRTIO_PCI_MODERN_DEVICE_ID_BASE && fn->device_id < VIRTIO_PCI_MODERN_DEVICE_ID_BASE + 0x40)
			attach(fn, f);
		else if (fn->device_id >= VIRTIO_PCI_TRANSITIONAL_FIRST && fn->device_id < VIRTIO_PCI_MODERN_DEVICE_ID_BASE)
			problem(f, "%02x:%02x.%u is a transitional virtio device (0x%x); this driver wants modern ones "
				   "(QEMU: disable-legacy=on)", fn->bus, fn->device, fn->function, fn->device_id);
	}
}

uint32_t virtio_pci_cfg_read32(struct virtio_pci *p, uint8_t bar, uint32_t offset)
{
	const struct pci_function *fn = p->fn;
	pci_write32(fn, p->cfg_cap + VIRTIO_PCI_CAP_LENGTH, 4);
	pci_write32(fn, p->cfg_cap + VIRTIO_PCI_CAP_OFFSET, offset);
	/* cap.bar is one byte (4.1.4.9): a 32-bit write there would also hit id and padding. */
	uint32_t word = pci_read32(fn, p->cfg_cap + VIRTIO_PCI_CAP_BAR);
	pci_write32(fn, p->cfg_cap + VIRTIO_PCI_CAP_BAR, (word & ~0xffu) | bar);
	return pci_read32(fn, p->cfg_cap + VIRTIO_PCI_CFG_DATA);
}
