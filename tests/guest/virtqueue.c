/*
 * The split virtqueue (virtio 1.2, 2.7). Free descriptors form a list through their `next` fields, so
 * a chain taken from the head of that list is already linked in order: adding a request only fills
 * in addresses, lengths and flags. Barriers as 2.7.13 asks: the ring entry before avail->idx (release),
 * avail->idx before reading the device's suppression field (full barrier), used->idx before the used
 * entry (acquire).
 */
#include "virtqueue.h"

#define PAGE_BYTES 4096

/* With VIRTIO_F_EVENT_IDX: the word after each ring (2.7.7.2 and 2.7.10). */
static volatile uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static volatile uint16_t *avail_event(struct virtq *vq)
{
	return (volatile uint16_t *)&vq->used->ring[vq->size];
}

void virtq_init(struct virtq *vq, void *memory, uint16_t size, bool event_idx, bool indirect)
{
	uint8_t *m = memory;
	memset(m, 0, VIRTQ_MEMORY_BYTES);
	*vq = (struct virtq){
		.size = size,
		.event_idx = event_idx,
		.indirect = indirect,
		.desc = (struct virtq_desc *)m,
		.avail = (struct virtq_avail *)(m + PAGE_BYTES),
		.used = (struct virtq_used *)(m + 2 * PAGE_BYTES),
		.indirect_tables = (struct virtq_desc *)(m + 3 * PAGE_BYTES),
		.free_count = size,
	};
	for (uint16_t i = 0; i < size; i++)
		vq->desc[i].next = (uint16_t)((i + 1) % size);
}

uint64_t virtq_desc_address(const struct virtq *vq)
{
	return (uintptr_t)vq->desc;
}

uint64_t virtq_driver_address(const struct virtq *vq)
{
	return (uintptr_t)vq->avail;
}

uint64_t virtq_device_address(const struct virtq *vq)
{
	return (uintptr_t)vq->used;
}

static void fill(struct virtq_desc *d, const struct virtq_buffer *b, bool more)
{
	d->addr = (uintptr_t)b->addr;
	d->len = b->len;
	d->flags = (uint16_t)((b->device_writes ? VIRTQ_DESC_F_WRITE : 0) | (more ? VIRTQ_DESC_F_NEXT : 0));
}

int virtq_add(struct virtq *vq, const struct virtq_buffer *buffers, unsigned n, bool indirect)
{
	unsigned needed = indirect ? 1 : n;
	if (n == 0 || needed > vq->free_count || (indirect && (!vq->indirect || n > VIRTQ_INDIRECT_MAX)))
		return -1;

	uint16_t head = vq->free_head;
	if (indirect) {
		/* The table is this head's own: a table's `next` fields index the table (2.7.5.3). */
		struct virtq_desc *table = &vq->indirect_tables[head * VIRTQ_INDIRECT_MAX];
		for (unsigned i = 0; i < n; i++) {
			fill(&table[i], &buffers[i], i + 1 < n);
			table[i].next = (uint16_t)(i + 1);
		}
		struct virtq_desc *d = &vq->desc[head];
		vq->free_head = d->next;
		d->addr = (uintptr_t)table;
		d->len = n * sizeof(struct virtq_desc);
		d->flags = VIRTQ_DESC_F_INDIRECT;
	} else {
		uint16_t i = head;
		for (unsigned k = 0; k < n; k++) {
			fill(&vq->desc[i], &buffers[k], k + 1 < n);
			i = vq->desc[i].next; /* the free list's link is the chain's link */
		}
		vq->free_head = i;
	}
	vq->free_count = (uint16_t)(vq->free_count - needed);
	vq->chain_length[head] = (uint16_t)needed;
	vq->avail->ring[vq->next_avail % vq->size] = head;
	vq->next_avail++;
	return head;
}

bool virtq_publish(struct virtq *vq)
{
	uint16_t old = vq->published_avail, new = vq->next_avail;
	if (old == new)
		return false;
	__atomic_store_n(&vq->avail->idx, new, __ATOMIC_RELEASE);
	vq->published_avail = new;
	memory_barrier();
	if (vq->event_idx) {
		/* Notify if avail_event is among the entries just published (2.7.10's vring_need_event). */
		uint16_t event = *avail_event(vq);
		return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	}
	return !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
}

static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t last = head;
	for (uint16_t k = 1; k < vq->chain_length[head]; k++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->free_count = (uint16_t)(vq->free_count + vq->chain_length[head]);
	vq->chain_length[head] = 0;
}

bool virtq_get_used(struct virtq *vq, uint32_t *head, uint32_t *len)
{
	if (__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) == vq->last_used)
		return false;
	volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used % vq->size];
	*head = e->id;
	*len = e->len;
	vq->last_used++;
	if (*head < vq->size && vq->chain_length[*head]) /* else the device returned a head it was never given */
		free_chain(vq, (uint16_t)*head);
	return true;
}

void virtq_want_interrupts(struct virtq *vq, bool want)
{
	if (vq->event_idx)
		*used_event(vq) = want ? vq->last_used : (uint16_t)(vq->last_used - 1); /* the latter: not for 65535 more */
	else
		vq->avail->flags = want ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	memory_barrier();
}

uint16_t virtq_avail_event(struct virtq *vq)
{
	return *avail_event(vq);
}
