/*
 * The transport-neutral half of a virtio driver: the status handshake and feature negotiation
 * (3.1.1), reset (2.4), configuration reads with their generation check (2.5.1), and the rest
 * handed to the device's transport.
 */
#include "virtio.h"
#include "tsc.h"

#define RESET_TIMEOUT_US 1000000

static bool reset(struct virtio_device *d)
{
	d->transport->set_status(d, 0);
	uint64_t deadline = tsc_deadline_us(RESET_TIMEOUT_US);
	while (d->transport->get_status(d) != 0)
		if (tsc_passed(deadline))
			return false;
	return true;
}

static void add_status(struct virtio_device *d, uint32_t bits)
{
	d->transport->set_status(d, d->transport->get_status(d) | bits);
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

	d->offered = d->transport->device_features(d);
	if (!(d->offered & VIRTIO_F_VERSION_1))
		return fail(d, f, "VIRTIO_F_VERSION_1 is not offered");
	d->features = d->offered & (wanted | VIRTIO_F_VERSION_1);
	d->transport->set_driver_features(d, d->features);
	add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(d->transport->get_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return fail(d, f, "the device cleared FEATURES_OK");
	return true;
}

uint16_t virtio_queue_size(uint32_t max)
{
	uint16_t size = VIRTQ_MAX_SIZE;
	while (size > max)
		size /= 2;
	return size;
}

bool virtio_setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f)
{
	if (d->transport->setup_queue(d, index, vq, memory, f))
		return true;
	add_status(d, VIRTIO_STATUS_FAILED);
	return false;
}

bool virtio_enable_interrupts(struct virtio_device *d, struct findings *f)
{
	d->used_interrupts = d->config_interrupts = d->empty_interrupts = 0;
	if (d->transport->enable_interrupts(d, f))
		return true;
	add_status(d, VIRTIO_STATUS_FAILED);
	return false;
}

bool virtio_driver_ok(struct virtio_device *d, struct findings *f)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
	uint32_t status = d->transport->get_status(d);
	if (status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED) || !(status & VIRTIO_STATUS_DRIVER_OK))
		return problem(f, "Status 0x%x after DRIVER_OK", status);
	return true;
}

void virtio_notify(struct virtio_device *d, uint32_t queue)
{
	d->transport->notify(d, queue);
}

void virtio_reset(struct virtio_device *d)
{
	reset(d);
	d->transport->disable_interrupts(d);
}

uint32_t virtio_config32(struct virtio_device *d, uint32_t offset)
{
	uint32_t generation, value;
	do {
		generation = d->transport->config_generation(d);
		value = d->transport->config_read(d, offset, 4);
	} while (d->transport->config_generation(d) != generation);
	return value;
}

uint64_t virtio_config64(struct virtio_device *d, uint32_t offset)
{
	uint32_t generation, low, high;
	do {
		generation = d->transport->config_generation(d);
		low = d->transport->config_read(d, offset, 4);
		high = d->transport->config_read(d, offset + 4, 4);
	} while (d->transport->config_generation(d) != generation);
	return (uint64_t)high << 32 | low;
}

uint8_t virtio_config8(struct virtio_device *d, uint32_t offset)
{
	uint32_t generation, value;
	do {
		generation = d->transport->config_generation(d);
		value = d->transport->config_read(d, offset, 1);
	} while (d->transport->config_generation(d) != generation);
	return (uint8_t)value;
}

void virtio_config_write8(struct virtio_device *d, uint32_t offset, uint8_t value)
{
	d->transport->config_write(d, offset, 1, value);
}

void virtio_config_write32(struct virtio_device *d, uint32_t offset, uint32_t value)
{
	d->transport->config_write(d, offset, 4, value);
}

uint32_t virtio_status(struct virtio_device *d)
{
	return d->transport->get_status(d);
}

uint32_t virtio_interrupt_status(struct virtio_device *d)
{
	return d->transport->interrupt_status(d);
}

void virtio_found_interrupts(struct virtio_device *d, struct findings *f)
{
	d->transport->found_interrupts(d, f);
}
