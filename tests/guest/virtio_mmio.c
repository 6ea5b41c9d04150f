/*
 * The virtio-mmio transport (virtio 1.2, 4.2.3): status, features, queues, notifications and its one
 * interrupt, routed through the I/O APIC. All of it is MMIO from CPL3, each access an exit to the VMM.
 */
#include "virtio_mmio.h"
#include "irq.h"
#include "lapic.h"

#define VIRTIO_VECTOR_BASE 0x50 /* device n of the discovery list interrupts on 0x50 + n */

static uint32_t reg_read(struct virtio_device *d, uint32_t offset)
{
	return mmio_read32(d->base + offset);
}

static void reg_write(struct virtio_device *d, uint32_t offset, uint32_t value)
{
	mmio_write32(d->base + offset, value);
}

static uint32_t get_status(struct virtio_device *d)
{
	return reg_read(d, VIRTIO_MMIO_STATUS);
}

static void set_status(struct virtio_device *d, uint32_t status)
{
	reg_write(d, VIRTIO_MMIO_STATUS, status);
}

static uint64_t device_features(struct virtio_device *d)
{
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t low = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return low | (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void set_driver_features(struct virtio_device *d, uint64_t features)
{
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

/* 4.2.3.2. */
static bool setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 0)
		return problem(f, "QueueReady is not 0 after the reset");
	uint32_t max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return problem(f, "QueueNumMax is 0");
	uint16_t size = virtio_queue_size(max);

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
		return problem(f, "QueueReady does not read 1");
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

static bool enable_interrupts(struct virtio_device *d, struct findings *f)
{
	d->vector = (uint8_t)(VIRTIO_VECTOR_BASE + (d - virtio_devices));
	irq_register(d->vector, on_interrupt, d);
	lapic_enable();
	if (!ioapic_route(d->irq, d->vector, (uint8_t)lapic_id(), &d->pin))
		return problem(f, "no I/O APIC has the device's GSI");
	return true;
}

static void disable_interrupts(struct virtio_device *d)
{
	if (d->vector)
		ioapic_mask(&d->pin);
}

static void notify(struct virtio_device *d, uint32_t queue)
{
	reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

static uint32_t config_generation(struct virtio_device *d)
{
	return reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
}

/* The device configuration takes accesses of its fields' own widths (4.2.2.2). */
static uint32_t config_read(struct virtio_device *d, uint32_t offset, unsigned width)
{
	return mmio_read(d->base + VIRTIO_MMIO_CONFIG + offset, width);
}

static void config_write(struct virtio_device *d, uint32_t offset, unsigned width, uint32_t value)
{
	mmio_write(d->base + VIRTIO_MMIO_CONFIG + offset, width, value);
}

static uint32_t interrupt_status(struct virtio_device *d)
{
	return reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
}

/* One interrupt for everything: nothing per vector to tell. */
static void found_interrupts(struct virtio_device *d, struct findings *f)
{
	(void)d;
	(void)f;
}

const struct virtio_transport virtio_mmio_transport = {
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
