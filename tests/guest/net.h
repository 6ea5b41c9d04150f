/*
 * A virtio network device (virtio 1.2, 5.1), the driver's side: one receive queue (0) kept full of
 * 2 KiB buffers, one transmit queue (1) with a pool of 2 KiB buffers, and the 12-byte virtio_net_hdr
 * (VIRTIO_F_VERSION_1, no offloads) in front of every frame both ways. It polls; the device's
 * interrupts are only counted (virtio_mmio.c's handler), each queue asking for one per used buffer.
 */
#ifndef NET_H
#define NET_H

#include "virtio_mmio.h"

#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_HDR_BYTES 12
#define NET_BUFFERS 16
#define NET_BUFFER_BYTES 2048 /* >= 1526, the header and a 1514-byte frame (5.1.6.3.1) */
#define NET_FRAME_MAX (NET_BUFFER_BYTES - VIRTIO_NET_HDR_BYTES)
#define ETH_ALEN 6

struct net_device {
	struct virtio_device *dev;
	struct virtq rx, tx;
	uint8_t mac[ETH_ALEN];
	uint16_t rx_buffer_of[VIRTQ_MAX_SIZE]; /* the buffer behind each receive head */
	uint16_t tx_buffer_of[VIRTQ_MAX_SIZE];
	uint16_t tx_free[NET_BUFFERS];
	uint32_t tx_free_count;
	/* Counts. */
	uint32_t rx_used, rx_short, tx_sent, tx_used, tx_indirect, tx_chained;
};

/* Starts the device (EVENT_IDX, INDIRECT_DESC and MAC when offered; MAC required), its two queues and its interrupt. */
bool net_open(struct net_device *n, struct virtio_device *d, struct findings *f);
/* Asks both queues for an interrupt at their next used buffer (call as used buffers are collected). */
void net_want_interrupts(struct net_device *n);
/* The next received frame (from its Ethernet header on) and its length, or NULL; give it back with net_rx_done. */
uint8_t *net_receive(struct net_device *n, uint32_t *length, uint32_t *buffer);
void net_rx_done(struct net_device *n, uint32_t buffer);
/* A buffer to build a frame of up to NET_FRAME_MAX bytes in, or NULL while all are in flight. */
uint8_t *net_tx_frame(struct net_device *n, uint32_t *buffer);
/* Sends the frame built in buffer: one descriptor, a header-and-frame chain, or an indirect table, in turn. */
void net_send(struct net_device *n, uint32_t buffer, uint32_t length);
/* Takes back the transmit buffers the device has used. */
void net_collect_tx(struct net_device *n);

/* The Internet checksum (RFC 1071) of [data, data+length), starting from a partial sum. */
uint16_t inet_checksum(const void *data, uint32_t length, uint32_t sum);
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

#endif
