#include "virtio_request.h"
#include "tsc.h"

#define SETTLE_US 10000 /* for a late or repeated interrupt to show up */

bool virtio_channel_open(struct virtio_channel *c, struct virtio_device *d, uint32_t queue, void *memory,
			 struct findings *f)
{
	*c = (struct virtio_channel){ .dev = d, .queue = queue };
	return virtio_setup_queue(d, queue, &c->vq, memory, f) && virtio_enable_interrupts(d, f);
}

bool virtio_wait_used(struct virtio_channel *c, uint32_t *head, uint32_t *written)
{
	uint64_t deadline = tsc_deadline_us(VIRTIO_REQUEST_TIMEOUT_US);
	while (!virtq_get_used(&c->vq, head, written))
		if (tsc_passed(deadline))
			return false;
	return true;
}

/* For a request the device never used: the queue as both sides left it, to tell whose fault it is. */
static bool stalled(struct virtio_channel *c, uint32_t number, bool notified, struct findings *f)
{
	struct virtq *vq = &c->vq;
	return problem(f,
		       "request %u: no used buffer within %u ms (%s; avail idx %u, used idx %u, avail_event %u, "
		       "interrupts %u, InterruptStatus 0x%x, Status 0x%x)",
		       number, VIRTIO_REQUEST_TIMEOUT_US / 1000, notified ? "notified" : "not notified", vq->avail->idx,
		       vq->used->idx, virtq_avail_event(vq), c->dev->used_interrupts, virtio_interrupt_status(c->dev),
		       virtio_status(c->dev));
}

bool virtio_request(struct virtio_channel *c, const struct virtq_buffer *buffers, unsigned n, bool indirect,
		    uint32_t *written, struct findings *f)
{
	uint32_t number = c->requests + 1;
	virtq_want_interrupts(&c->vq, true);
	int head = virtq_add(&c->vq, buffers, n, indirect);
	if (head < 0)
		return problem(f, "request %u: no room in the queue", number);
	bool notify = virtq_publish(&c->vq);
	if (notify)
		virtio_notify(c->dev, c->queue);

	uint32_t used_head;
	if (!virtio_wait_used(c, &used_head, written))
		return stalled(c, number, notify, f);
	if (used_head != (uint32_t)head)
		return problem(f, "request %u: used head %u, expected %d", number, used_head, head);
	c->requests++;
	c->expected_interrupts++;

	uint64_t deadline = tsc_deadline_us(VIRTIO_INTERRUPT_TIMEOUT_US);
	while (c->dev->used_interrupts < c->expected_interrupts)
		if (tsc_passed(deadline))
			return problem(f, "request %u: used, but %u of %u interrupts after %u ms", number,
				       c->dev->used_interrupts, c->expected_interrupts, VIRTIO_INTERRUPT_TIMEOUT_US / 1000);
	return true;
}

bool virtio_check_interrupts(struct virtio_channel *c, struct findings *f)
{
	tsc_delay_us(SETTLE_US);
	struct virtio_device *d = c->dev;
	found(f, ", interrupts %u/%u", d->used_interrupts, c->expected_interrupts);
	virtio_found_interrupts(d, f);
	if (d->used_interrupts != c->expected_interrupts)
		return problem(f, "%u used buffer interrupts, expected %u", d->used_interrupts, c->expected_interrupts);
	if (d->empty_interrupts)
		return problem(f, "%u interrupts with InterruptStatus 0", d->empty_interrupts);
	if (d->config_interrupts)
		return problem(f, "%u configuration change interrupts", d->config_interrupts);
	return true;
}
