/*
 * The driver's side of a virtio-mmio device: status handshake, features, queues, notifications and
 * its interrupt. All of it is MMIO from CPL3, each access an exit to the VMM.
 */
#include "virtio_mmio.h"
#include "irq.h"
#include "lapic.h"
#include "tsc.h"

#define RESET_TIMEOUT_US 1000000
#define VIRTIO_VECTOR_BASE 0x50 /* device n of the discovery list interrupts on 0x50 + n */

static uint32_t reg_read(struct virtio_device *d, uint32_t offset)
{
	return mmio_read32(d->base + offset);
}

static void reg_write(struct virtio_device *d, uint32_t offset, uint32_t value)
{
	mmio_write32(d->base + offset, value);
}

static bool reset(struct virtio_device *d)
{
	reg_write(d, VIRTIO_MMIO_STATUS, 0);
	uint64_t deadline = tsc_deadline_us(RESET_TIMEOUT_US);
	while (reg_read(d, VIRTIO_MMIO_STATUS) != 0)
		if (tsc_passed(deadline))
			return false;
	return true;
}

static void add_status(struct virtio_device *d, uint32_t bits)
{
	reg_write(d, VIRTIO_MMIO_STATUS, reg_read(d, VIRTIO_MMIO_STATUS) | bits);
}

static bool fail(struct virtio_device *d, struct findings *f, const char *what)
{
	add_status(d, VIRTIO_STATUS_FAILED);
	return problem(f, "%s", what);
}

bool virtio_start(struct virtio_device *d, uint64_t wanted, struct findings *f)
{
	if (!reset(d))
		return problem(f, "Status did not read 0 within 1 s of the reset");
	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);

	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered = low | (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(d->offered & VIRTIO_F_VERSION_1))
		return fail(d, f, "VIRTIO_F_VERSION_1 is not offered");

	d->features = d->offered & (wanted | VIRTIO_F_VERSION_1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return fail(d, f, "the device cleared FEATURES_OK");
	return true;
}

bool virtio_setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 0)
		return fail(d, f, "QueueReady is not 0 after the reset");
	uint32_t max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return fail(d, f, "QueueNumMax is 0");
	uint16_t size = VIRTQ_MAX_SIZE;
	while (size > max)
		size /= 2;

	virtq_init(vq, memory, size, d->features & VIRTIO_F_EVENT_IDX, d->features & VIRTIO_F_INDIRECT_DESC);
	reg_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	uint64_t desc = virtq_desc_address(vq), driver = virtq_driver_address(vq), device = virtq_device_address(vq);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)driver);
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)device);
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 1)
		return fail(d, f, "QueueReady does not read 1");
	return true;
}

/* Runs at CPL3 in isr_dispatch, which writes the LAPIC EOI after it. */
static void on_interrupt(unsigned vector, void *arg)
{
	(void)vector;
	struct virtio_device *d = arg;
	uint32_t status = reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, status);
	if (status & VIRTIO_MMIO_INT_VRING)
		atomic_inc(&d->used_interrupts);
	if (status & VIRTIO_MMIO_INT_CONFIG)
		atomic_inc(&d->config_interrupts);
	if (!(status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)))
		atomic_inc(&d->empty_interrupts);
}

bool virtio_enable_interrupts(struct virtio_device *d, struct findings *f)
{
	d->vector = (uint8_t)(VIRTIO_VECTOR_BASE + (d - virtio_devices));
	d->used_interrupts = d->config_interrupts = d->empty_interrupts = 0;
	irq_register(d->vector, on_interrupt, d);
	lapic_enable();
	if (!ioapic_route(d->irq, d->vector, (uint8_t)lapic_id(), &d->pin))
		return fail(d, f, "no I/O APIC has the device's GSI");
	return true;
}

bool virtio_driver_ok(struct virtio_device *d, struct findings *f)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
	uint32_t status = reg_read(d, VIRTIO_MMIO_STATUS);
	if (status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED) || !(status & VIRTIO_STATUS_DRIVER_OK))
		return problem(f, "Status 0x%x after DRIVER_OK", status);
	return true;
}

void virtio_notify(struct virtio_device *d, uint32_t queue)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

void virtio_reset(struct virtio_device *d)
{
	reset(d);
	if (d->vector)
		ioapic_mask(&d->pin);
}

uint32_t virtio_config32(struct virtio_device *d, uint32_t offset)
{
	uint32_t generation, value;
	do {
		generation = reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		value = reg_read(d, VIRTIO_MMIO_CONFIG + offset);
	} while (reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION) != generation);
	return value;
}

uint64_t virtio_config64(struct virtio_device *d, uint32_t offset)
{
	uint32_t generation, low, high;
	do {
		generation = reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		low = reg_read(d, VIRTIO_MMIO_CONFIG + offset);
		high = reg_read(d, VIRTIO_MMIO_CONFIG + offset + 4);
	} while (reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION) != generation);
	return (uint64_t)high << 32 | low;
}
