/*
 * The virtio-pci transport, modern interface (virtio 1.2, 4.1.4-4.1.5): the common configuration
 * structure for status, features and queues, each field accessed at its own width (4.1.3.1), the
 * notify structure, and MSI-X: entry 0 for configuration changes, entry 1 + q for queue q, each on a
 * LAPIC vector of its own on this CPU, counted per vector.
 */
#include "virtio_pci.h"
#include "irq.h"
#include "lapic.h"

static uintptr_t common(struct virtio_device *d, uint32_t field)
{
	return d->pci->common.address + field;
}

static uint32_t get_status(struct virtio_device *d)
{
	return mmio_read8(common(d, VIRTIO_PCI_COMMON_STATUS));
}

static void set_status(struct virtio_device *d, uint32_t status)
{
	mmio_write8(common(d, VIRTIO_PCI_COMMON_STATUS), (uint8_t)status);
	if (status == 0)
		d->pci->queues_enabled = 0;
}

static uint64_t device_features(struct virtio_device *d)
{
	mmio_write32(common(d, VIRTIO_PCI_COMMON_DFSELECT), 0);
	uint64_t low = mmio_read32(common(d, VIRTIO_PCI_COMMON_DF));
	mmio_write32(common(d, VIRTIO_PCI_COMMON_DFSELECT), 1);
	return low | (uint64_t)mmio_read32(common(d, VIRTIO_PCI_COMMON_DF)) << 32;
}

static void set_driver_features(struct virtio_device *d, uint64_t features)
{
	mmio_write32(common(d, VIRTIO_PCI_COMMON_GFSELECT), 0);
	mmio_write32(common(d, VIRTIO_PCI_COMMON_GF), (uint32_t)features);
	mmio_write32(common(d, VIRTIO_PCI_COMMON_GFSELECT), 1);
	mmio_write32(common(d, VIRTIO_PCI_COMMON_GF), (uint32_t)(features >> 32));
}

/* Entry 1 + q; with a smaller table, as Linux does, the queues left over share the last entry (0 if that is all). */
uint16_t virtio_pci_queue_entry(const struct virtio_pci *p, uint32_t queue)
{
	if (queue >= VIRTIO_PCI_QUEUES_MAX)
		return VIRTIO_MSI_NO_VECTOR;
	return 1 + queue < p->msix.table_size ? (uint16_t)(1 + queue) : (uint16_t)(p->msix.table_size - 1);
}

/* A 64-bit queue address as two 32-bit writes, low half first (4.1.3.1). */
static void write_address(struct virtio_device *d, uint32_t low_field, uint64_t address)
{
	mmio_write32(common(d, low_field), (uint32_t)address);
	mmio_write32(common(d, low_field + 4), (uint32_t)(address >> 32));
}

/*
 * 4.1.5.1.3, in Linux's order: MSI-X on (entries masked until virtio_enable_interrupts), the config
 * vector, then the queue's size, addresses and vector, and queue_enable last.
 */
static bool setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	if (index >= p->num_queues)
		return problem(f, "queue %u, but num_queues is %u", index, p->num_queues);
	if (index >= VIRTIO_PCI_QUEUES_MAX)
		return problem(f, "queue %u: this driver sets up queues 0-%u", index, VIRTIO_PCI_QUEUES_MAX - 1);
	if (!p->queues_enabled) { /* the first queue since the reset */
		for (uint16_t e = 0; e < p->msix.table_size && e < VIRTIO_PCI_VECTORS; e++)
			msix_mask(&p->msix, e, true);
		msix_enable(p->fn, &p->msix);
		mmio_write16(common(d, VIRTIO_PCI_COMMON_MSIX), VIRTIO_PCI_CONFIG_ENTRY);
		if (mmio_read16(common(d, VIRTIO_PCI_COMMON_MSIX)) != VIRTIO_PCI_CONFIG_ENTRY)
			return problem(f, "config_msix_vector does not read back %u", VIRTIO_PCI_CONFIG_ENTRY);
	}

	mmio_write16(common(d, VIRTIO_PCI_COMMON_Q_SELECT), (uint16_t)index);
	if (mmio_read16(common(d, VIRTIO_PCI_COMMON_Q_ENABLE)) != 0)
		return problem(f, "queue %u: queue_enable is not 0 after the reset", index);
	uint16_t max = mmio_read16(common(d, VIRTIO_PCI_COMMON_Q_SIZE));
	if (max == 0)
		return problem(f, "queue %u: queue_size is 0", index);
	uint16_t size = virtio_queue_size(max);
	virtq_init(vq, memory, size, d->features & VIRTIO_F_EVENT_IDX, d->features & VIRTIO_F_INDIRECT_DESC);
	mmio_write16(common(d, VIRTIO_PCI_COMMON_Q_SIZE), size);
	write_address(d, VIRTIO_PCI_COMMON_Q_DESCLO, virtq_desc_address(vq));
	write_address(d, VIRTIO_PCI_COMMON_Q_AVAILLO, virtq_driver_address(vq));
	write_address(d, VIRTIO_PCI_COMMON_Q_USEDLO, virtq_device_address(vq));
	uint16_t entry = virtio_pci_queue_entry(p, index);
	mmio_write16(common(d, VIRTIO_PCI_COMMON_Q_MSIX), entry);
	if (mmio_read16(common(d, VIRTIO_PCI_COMMON_Q_MSIX)) != entry)
		return problem(f, "queue %u: queue_msix_vector does not read back %u", index, entry);
	p->queue_notify_off[index] = mmio_read16(common(d, VIRTIO_PCI_COMMON_Q_NOFF));
	if ((uint64_t)p->queue_notify_off[index] * p->notify_off_multiplier + 2 > p->notify.length)
		return problem(f, "queue %u: queue_notify_off %u x %u is outside the notify structure (%u bytes)", index,
			       p->queue_notify_off[index], p->notify_off_multiplier, p->notify.length);
	mmio_write16(common(d, VIRTIO_PCI_COMMON_Q_ENABLE), 1);
	if (mmio_read16(common(d, VIRTIO_PCI_COMMON_Q_ENABLE)) != 1)
		return problem(f, "queue %u: queue_enable does not read 1", index);
	p->queues_enabled |= 1u << index;
	return true;
}

/*
 * Runs at CPL3 in isr_dispatch, which writes the LAPIC EOI after it. MSI-X needs no acknowledgement;
 * only a table of one entry, shared by the config change and the queues, needs the ISR to tell them apart.
 */
static void on_interrupt(unsigned vector, void *arg)
{
	struct virtio_device *d = arg;
	unsigned entry = vector - d->pci->first_vector;
	atomic_inc(&d->pci->vector_interrupts[entry]);
	if (entry != VIRTIO_PCI_CONFIG_ENTRY) {
		atomic_inc(&d->used_interrupts);
		return;
	}
	if (d->pci->msix.table_size > 1) {
		atomic_inc(&d->config_interrupts);
		return;
	}
	uint8_t isr = mmio_read8(d->pci->isr.address);
	if (isr & VIRTIO_PCI_ISR_QUEUE)
		atomic_inc(&d->used_interrupts);
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		atomic_inc(&d->config_interrupts);
	if (!(isr & (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)))
		atomic_inc(&d->empty_interrupts);
}

static void enable_entry(struct virtio_device *d, uint16_t entry)
{
	struct virtio_pci *p = d->pci;
	uint8_t vector = (uint8_t)(p->first_vector + entry);
	p->vector_interrupts[entry] = 0;
	irq_register(vector, on_interrupt, d);
	msix_program(&p->msix, entry, (uint8_t)lapic_id(), vector);
	msix_mask(&p->msix, entry, false);
}

static bool enable_interrupts(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	if (!p->queues_enabled)
		return problem(f, "no queue is set up, so MSI-X is not on");
	d->vector = p->first_vector;
	lapic_enable();
	enable_entry(d, VIRTIO_PCI_CONFIG_ENTRY);
	for (uint32_t q = 0; q < VIRTIO_PCI_QUEUES_MAX; q++)
		if (p->queues_enabled & (1u << q))
			enable_entry(d, virtio_pci_queue_entry(p, q));
	return true;
}

static void disable_interrupts(struct virtio_device *d)
{
	struct virtio_pci *p = d->pci;
	for (uint16_t e = 0; e < p->msix.table_size && e < VIRTIO_PCI_VECTORS; e++)
		msix_mask(&p->msix, e, true);
}

/* 4.1.4.4: the queue's index, 16 bits, at notify + queue_notify_off * notify_off_multiplier. */
static void notify(struct virtio_device *d, uint32_t queue)
{
	struct virtio_pci *p = d->pci;
	if (queue < VIRTIO_PCI_QUEUES_MAX)
		mmio_write16(p->notify.address + (uintptr_t)p->queue_notify_off[queue] * p->notify_off_multiplier, (uint16_t)queue);
}

static uint32_t config_generation(struct virtio_device *d)
{
	return mmio_read8(common(d, VIRTIO_PCI_COMMON_CFGGENERATION));
}

/* Outside the device structure (or with none) reads are all-ones and writes go nowhere. */
static uint32_t config_read(struct virtio_device *d, uint32_t offset, unsigned width)
{
	struct virtio_pci *p = d->pci;
	if (offset + width > p->device.length)
		return 0xffffffffu;
	return mmio_read(p->device.address + offset, width);
}

static void config_write(struct virtio_device *d, uint32_t offset, unsigned width, uint32_t value)
{
	struct virtio_pci *p = d->pci;
	if (offset + width > p->device.length)
		return;
	mmio_write(p->device.address + offset, width, value);
}

static uint32_t interrupt_status(struct virtio_device *d)
{
	return mmio_read8(d->pci->isr.address);
}

static void found_interrupts(struct virtio_device *d, struct findings *f)
{
	struct virtio_pci *p = d->pci;
	found(f, " (msi-x: config 0x%x %u", p->first_vector, p->vector_interrupts[VIRTIO_PCI_CONFIG_ENTRY]);
	for (uint32_t q = 0; q < VIRTIO_PCI_QUEUES_MAX; q++) {
		uint16_t entry = virtio_pci_queue_entry(p, q);
		if (p->queues_enabled & (1u << q))
			found(f, ", q%u 0x%x %u", q, p->first_vector + entry, p->vector_interrupts[entry]);
	}
	found(f, ")");
}

const struct virtio_transport virtio_pci_transport = {
	.get_status = get_status,
	.set_status = set_status,
	.device_features = device_features,
	.set_driver_features = set_driver_features,
	.setup_queue = setup_queue,
	.enable_interrupts = enable_interrupts,
	.disable_interrupts = disable_interrupts,
	.notify = notify,
	.config_generation = config_generation,
	.config_read = config_read,
	.config_write = config_write,
	.interrupt_status = interrupt_status,
	.found_interrupts = found_interrupts,
};
