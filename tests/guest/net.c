#include "net.h"

static uint8_t rx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t rx_buffers[NET_BUFFERS][NET_BUFFER_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_buffers[NET_BUFFERS][NET_BUFFER_BYTES] __attribute__((aligned(4096)));

#define RX_QUEUE 0
#define TX_QUEUE 1

/* Offers receive buffer b to the device; false if the queue has no room (it always has: 16 <= its size). */
static bool post_rx(struct net_device *n, uint32_t b)
{
	struct virtq_buffer buffer = { rx_buffers[b], NET_BUFFER_BYTES, true };
	int head = virtq_add(&n->rx, &buffer, 1, false);
	if (head < 0)
		return false;
	n->rx_buffer_of[head] = (uint16_t)b;
	return true;
}

bool net_open(struct net_device *n, struct virtio_device *d, struct findings *f)
{
	*n = (struct net_device){ .dev = d };
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC | VIRTIO_NET_F_MAC, f))
		return false;
	if (!(d->features & VIRTIO_NET_F_MAC))
		return problem(f, "VIRTIO_NET_F_MAC is not offered");
	for (unsigned i = 0; i < ETH_ALEN; i++) /* byte reads are fine for MMIO config; 32-bit ones keep to the driver's habit */
		n->mac[i] = (uint8_t)(virtio_config32(d, i & ~3u) >> (8 * (i & 3)));
	if (!virtio_setup_queue(d, RX_QUEUE, &n->rx, rx_ring, f) || !virtio_setup_queue(d, TX_QUEUE, &n->tx, tx_ring, f) ||
	    !virtio_enable_interrupts(d, f) || !virtio_driver_ok(d, f))
		return false;
	for (uint32_t b = 0; b < NET_BUFFERS; b++) {
		post_rx(n, b);
		n->tx_free[b] = (uint16_t)b;
	}
	n->tx_free_count = NET_BUFFERS;
	net_want_interrupts(n);
	if (virtq_publish(&n->rx))
		virtio_notify(d, RX_QUEUE);
	return true;
}

void net_want_interrupts(struct net_device *n)
{
	virtq_want_interrupts(&n->rx, true);
	virtq_want_interrupts(&n->tx, true);
}

uint8_t *net_receive(struct net_device *n, uint32_t *length, uint32_t *buffer)
{
	uint32_t head, written;
	while (virtq_get_used(&n->rx, &head, &written)) {
		n->rx_used++;
		uint32_t b = head < VIRTQ_MAX_SIZE ? n->rx_buffer_of[head] : 0;
		if (written < VIRTIO_NET_HDR_BYTES + 14 || written > NET_BUFFER_BYTES) {
			n->rx_short++; /* an empty (dropped) or impossible buffer: offer it again */
			net_rx_done(n, b);
			continue;
		}
		*length = written - VIRTIO_NET_HDR_BYTES;
		*buffer = b;
		return rx_buffers[b] + VIRTIO_NET_HDR_BYTES;
	}
	return NULL;
}

void net_rx_done(struct net_device *n, uint32_t buffer)
{
	post_rx(n, buffer);
	virtq_want_interrupts(&n->rx, true);
	if (virtq_publish(&n->rx))
		virtio_notify(n->dev, RX_QUEUE);
}

uint8_t *net_tx_frame(struct net_device *n, uint32_t *buffer)
{
	net_collect_tx(n);
	if (n->tx_free_count == 0)
		return NULL;
	*buffer = n->tx_free[--n->tx_free_count];
	return tx_buffers[*buffer] + VIRTIO_NET_HDR_BYTES;
}

void net_send(struct net_device *n, uint32_t buffer, uint32_t length)
{
	uint8_t *header = tx_buffers[buffer];
	memset(header, 0, VIRTIO_NET_HDR_BYTES); /* no offloads: flags 0, gso_type NONE */
	unsigned shape = n->tx_sent % 3;
	bool indirect = shape == 2 && n->tx.indirect;
	struct virtq_buffer parts[2] = {
		{ header, VIRTIO_NET_HDR_BYTES, false },
		{ header + VIRTIO_NET_HDR_BYTES, length, false },
	};
	int head;
	if (shape == 0) {
		struct virtq_buffer whole = { header, VIRTIO_NET_HDR_BYTES + length, false };
		head = virtq_add(&n->tx, &whole, 1, false);
	} else {
		head = virtq_add(&n->tx, parts, 2, indirect);
		n->tx_chained += !indirect;
		n->tx_indirect += indirect;
	}
	if (head < 0) { /* cannot happen: the queue has more descriptors than we have buffers in flight */
		n->tx_free[n->tx_free_count++] = (uint16_t)buffer;
		return;
	}
	n->tx_buffer_of[head] = (uint16_t)buffer;
	n->tx_sent++;
	virtq_want_interrupts(&n->tx, true);
	if (virtq_publish(&n->tx))
		virtio_notify(n->dev, TX_QUEUE);
}

void net_collect_tx(struct net_device *n)
{
	uint32_t head, written;
	while (virtq_get_used(&n->tx, &head, &written)) {
		n->tx_used++;
		if (head < VIRTQ_MAX_SIZE && n->tx_free_count < NET_BUFFERS)
			n->tx_free[n->tx_free_count++] = n->tx_buffer_of[head];
	}
}

uint16_t inet_checksum(const void *data, uint32_t length, uint32_t sum)
{
	const uint8_t *p = data;
	for (; length > 1; p += 2, length -= 2)
		sum += be16(p);
	if (length)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
