/*
 * One queue of a device as a test uses it: requests one at a time, each waited for, with its used
 * buffer notification accounted for. A request asks for a notification (used_event or the avail
 * flags), so each completion must bring exactly one interrupt; virtio_check_interrupts then finds
 * any the device sent beyond those (or with nothing in InterruptStatus).
 */
#ifndef VIRTIO_REQUEST_H
#define VIRTIO_REQUEST_H

#include "virtio_mmio.h"

#define VIRTIO_REQUEST_TIMEOUT_US 2000000
#define VIRTIO_INTERRUPT_TIMEOUT_US 1000000

struct virtio_channel {
	struct virtio_device *dev;
	uint32_t queue;
	struct virtq vq;
	uint32_t requests;            /* completed */
	uint32_t expected_interrupts; /* notifications the device had to send for them */
};

/* Sets up queue `queue` in `memory` (VIRTQ_MEMORY_BYTES, 4 KiB aligned) and routes the interrupt. */
bool virtio_channel_open(struct virtio_channel *c, struct virtio_device *d, uint32_t queue, void *memory,
			 struct findings *f);

/*
 * Adds a request, publishes it, notifies the device if it wants that, and waits for its used buffer
 * and then its interrupt. *written is the used length. False, with the problem in f, on a timeout, a
 * wrong head or a missing interrupt.
 */
bool virtio_request(struct virtio_channel *c, const struct virtq_buffer *buffers, unsigned n, bool indirect,
		    uint32_t *written, struct findings *f);

/* Waits up to the request timeout for the next used buffer (for requests a test published itself). */
bool virtio_wait_used(struct virtio_channel *c, uint32_t *head, uint32_t *written);

/* After a short settling time: the device sent exactly the expected interrupts, all with a reason. */
bool virtio_check_interrupts(struct virtio_channel *c, struct findings *f);

#endif
