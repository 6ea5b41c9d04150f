/*
 * A split virtqueue, the driver's side (virtio 1.2, 2.7). It knows nothing of transports or devices:
 * the caller gives it memory, adds buffers, publishes them, asks whether to notify, and collects
 * used buffers. Guest-physical addresses equal our addresses (the identity map), so buffers are
 * plain pointers. One CPU uses a queue; the interrupt handler never touches it.
 */
#ifndef VIRTQUEUE_H
#define VIRTQUEUE_H

#include "lib.h"

#define VIRTQ_MAX_SIZE 256
#define VIRTQ_INDIRECT_MAX 4 /* descriptors in one indirect table: enough for any request here */

/* Ring memory: descriptors, driver area, device area, each in its own 4 KiB page; an indirect table per head. */
#define VIRTQ_MEMORY_BYTES (3 * 4096 + VIRTQ_MAX_SIZE * VIRTQ_INDIRECT_MAX * 16)

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2    /* device-writable */
#define VIRTQ_DESC_F_INDIRECT 4 /* the buffer is a table of descriptors */

/* The driver area: flags, idx, ring[size], then used_event with VIRTIO_F_EVENT_IDX. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
	uint32_t id; /* the head of the descriptor chain */
	uint32_t len; /* bytes the device wrote */
};

/* The device area: flags, idx, ring[size], then avail_event with VIRTIO_F_EVENT_IDX. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY 1

/* One buffer of a request, in the order the device sees them: device-readable ones first. */
struct virtq_buffer {
	const void *addr;
	uint32_t len;
	bool device_writes;
};

struct virtq {
	uint16_t size; /* a power of 2 */
	bool event_idx, indirect; /* negotiated VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	struct virtq_desc *indirect_tables; /* VIRTQ_INDIRECT_MAX per head */
	uint16_t free_head, free_count;
	uint16_t chain_length[VIRTQ_MAX_SIZE]; /* descriptors each head uses in the ring */
	uint16_t next_avail;                   /* avail->idx after the buffers added so far */
	uint16_t published_avail;              /* avail->idx the device was last told about */
	uint16_t last_used;                    /* used entries collected */
};

/* memory: VIRTQ_MEMORY_BYTES, 4 KiB aligned; size a power of 2 up to VIRTQ_MAX_SIZE. */
void virtq_init(struct virtq *vq, void *memory, uint16_t size, bool event_idx, bool indirect);

/* Physical addresses for QueueDesc, QueueDriver and QueueDevice. */
uint64_t virtq_desc_address(const struct virtq *vq);
uint64_t virtq_driver_address(const struct virtq *vq);
uint64_t virtq_device_address(const struct virtq *vq);

/*
 * Adds a request of n buffers as one chain, or through one indirect descriptor when `indirect` (which
 * needs VIRTIO_F_INDIRECT_DESC and n <= VIRTQ_INDIRECT_MAX). Returns the head, or -1 if there is no
 * room. The device sees it only after virtq_publish.
 */
int virtq_add(struct virtq *vq, const struct virtq_buffer *buffers, unsigned n, bool indirect);

/* Makes the added requests available; true if the device wants a notification for them. */
bool virtq_publish(struct virtq *vq);

/* Takes the next used buffer: its head and the bytes written. False if there is none yet. */
bool virtq_get_used(struct virtq *vq, uint32_t *head, uint32_t *len);

/*
 * Asks for a used-buffer notification for the next buffer the device uses (want) or for none: with
 * EVENT_IDX through used_event, else through the avail ring's NO_INTERRUPT flag. Call it before
 * publishing the requests it is meant for.
 */
void virtq_want_interrupts(struct virtq *vq, bool want);

/* The device's avail_event (meaningful with EVENT_IDX), for diagnostics. */
uint16_t virtq_avail_event(struct virtq *vq);

#endif
