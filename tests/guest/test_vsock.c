/*
 * vsock: with glue.vsock=<cid>:<port>:<listen-port>, the first socket device (virtio 1.2, 5.10) has
 * guest_cid <cid>, and two stream connections each carry 1 MiB both ways:
 *   1. the guest connects to the host (CID 2) port <port>, sends 1 MiB and receives 1 MiB;
 *   2. the guest listens on <listen-port>, takes the host's REQUEST, receives 1 MiB and sends 1 MiB.
 * Guest to host bytes are the pattern for seed VSOCK_SEED_TO_HOST, host to guest bytes the pattern for
 * VSOCK_SEED_TO_GUEST (README.md), each counted from the start of its connection. Credit is honoured
 * both ways: the guest sends no more than the host's buf_alloc less what it has not forwarded, and
 * advertises its own 64 KiB, sending CREDIT_UPDATE when half of it was consumed. Each connection ends
 * with SHUTDOWN (both directions) answered by RST.
 *
 * Receive buffers stay posted (64 of them) and packets flow both ways at once, so the interrupt check
 * is looser than for blk and rng: every queue asks for an interrupt for its next used buffer, and the
 * device must have sent at least one and at most one per used buffer, none for a configuration change.
 */
#include "cmdline_key.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

#define VIRTIO_ID_VSOCK 19
#define VSOCK_CID_HOST 2
#define VSOCK_TYPE_STREAM 1
#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7
#define VSOCK_SHUTDOWN_BOTH 3

#define VSOCK_SEED_TO_HOST 0x686f7374u  /* "host" */
#define VSOCK_SEED_TO_GUEST 0x67756573u /* "gues" */
#define VSOCK_TOTAL (1u << 20)
#define VSOCK_PAYLOAD 4096
#define VSOCK_RX_BUFFERS 64
#define VSOCK_GUEST_BUF (64u << 10)
#define VSOCK_LOCAL_PORT 5000
#define VSOCK_TIMEOUT_US 30000000
#define VSOCK_ACCEPT_TIMEOUT_US 30000000

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct vsock_conn {
	uint32_t local, peer;
	bool listening, requested, established, reset, peer_shutdown, need_response, need_credit;
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt; /* host's credit, and what we sent */
	uint32_t fwd_cnt, reported_fwd;                 /* what we consumed, and what the host last heard */
	uint32_t received;
	bool corrupt;
	uint32_t corrupt_at;
};

static uint8_t rx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t event_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t rx_buffers[VSOCK_RX_BUFFERS][sizeof(struct vsock_hdr) + VSOCK_PAYLOAD] __attribute__((aligned(64)));
static uint8_t event_buffers[4][8];
static struct vsock_hdr tx_header;
static uint8_t tx_payload[VSOCK_PAYLOAD];

static struct virtio_device *dev;
static struct virtq rx, tx, ev;
static uint64_t guest_cid;
static uint32_t used_buffers;
static struct vsock_conn conn;
/* A packet for no connection of ours (e.g. a REQUEST while we do not listen) gets RST, as a real stack answers. */
static bool rst_pending;
static uint32_t rst_local, rst_peer;

static uint8_t pattern_byte(uint32_t seed, uint32_t offset)
{
	uint32_t word = seed + (offset / 4) * 0x9e3779b1u;
	return (uint8_t)(word >> (8 * (offset % 4)));
}

static uint8_t rx_buffer_of_head[VIRTQ_MAX_SIZE];

static void post_rx(uint32_t i)
{
	struct virtq_buffer b = { rx_buffers[i], sizeof(rx_buffers[i]), true };
	int head = virtq_add(&rx, &b, 1, false);
	if (head >= 0)
		rx_buffer_of_head[head] = (uint8_t)i;
}

static void handle(const struct vsock_hdr *h, const uint8_t *payload, uint32_t len)
{
	struct vsock_conn *c = &conn;
	if (h->dst_cid != guest_cid || h->src_cid != VSOCK_CID_HOST || h->type != VSOCK_TYPE_STREAM)
		return;
	if (c->listening && !c->requested && h->op == VSOCK_OP_REQUEST && h->dst_port == c->local) {
		c->requested = c->need_response = true;
		c->peer = h->src_port;
	}
	if (h->dst_port != c->local || h->src_port != c->peer) {
		if (h->op != VSOCK_OP_RST && !rst_pending) {
			rst_pending = true;
			rst_local = h->dst_port;
			rst_peer = h->src_port;
		}
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		c->established = true;
		break;
	case VSOCK_OP_RST:
		c->reset = true;
		break;
	case VSOCK_OP_SHUTDOWN:
		c->peer_shutdown = true;
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->need_credit = true;
		break;
	case VSOCK_OP_RW:
		if (len > VSOCK_PAYLOAD)
			len = VSOCK_PAYLOAD;
		for (uint32_t i = 0; i < len && !c->corrupt; i++)
			if (payload[i] != pattern_byte(VSOCK_SEED_TO_GUEST, c->received + i)) {
				c->corrupt = true;
				c->corrupt_at = c->received + i;
			}
		c->received += len;
		c->fwd_cnt += len; /* checked at once: consumed */
		if (c->fwd_cnt - c->reported_fwd >= VSOCK_GUEST_BUF / 2)
			c->need_credit = true;
		break;
	}
}

/* Takes every used receive buffer, hands it to handle() and posts it again. */
static void poll_rx(void)
{
	uint32_t head, len;
	bool any = false;
	while (virtq_get_used(&rx, &head, &len)) {
		used_buffers++;
		any = true;
		uint32_t i = rx_buffer_of_head[head % VIRTQ_MAX_SIZE];
		struct vsock_hdr h;
		memcpy(&h, rx_buffers[i], sizeof(h));
		if (len >= sizeof(h))
			handle(&h, rx_buffers[i] + sizeof(h), len - (uint32_t)sizeof(h) < h.len ? len - (uint32_t)sizeof(h) : h.len);
		post_rx(i);
	}
	if (any) {
		virtq_want_interrupts(&rx, true);
		if (virtq_publish(&rx))
			virtio_notify(dev, 0);
	}
}

/* Sends one packet on the tx queue and waits for it to be used, taking receive buffers meanwhile. */
static bool send_packet_to(uint32_t local, uint32_t peer, uint16_t op, uint32_t flags, uint32_t len, struct findings *f)
{
	struct vsock_conn *c = &conn;
	tx_header = (struct vsock_hdr){ .src_cid = guest_cid, .dst_cid = VSOCK_CID_HOST, .src_port = local,
					.dst_port = peer, .len = len, .type = VSOCK_TYPE_STREAM, .op = op, .flags = flags,
					.buf_alloc = VSOCK_GUEST_BUF, .fwd_cnt = c->fwd_cnt };
	c->reported_fwd = c->fwd_cnt;
	struct virtq_buffer b[2] = { { &tx_header, sizeof(tx_header), false }, { tx_payload, len, false } };
	virtq_want_interrupts(&tx, true);
	if (virtq_add(&tx, b, len ? 2 : 1, false) < 0)
		return problem(f, "no room in the tx queue");
	if (virtq_publish(&tx))
		virtio_notify(dev, 1);
	uint32_t head, used_len;
	uint64_t deadline = tsc_deadline_us(VIRTIO_REQUEST_TIMEOUT_US);
	while (!virtq_get_used(&tx, &head, &used_len)) {
		poll_rx();
		if (tsc_passed(deadline))
			return problem(f, "a tx packet (op %u) was not used within %u ms", op, VIRTIO_REQUEST_TIMEOUT_US / 1000);
	}
	used_buffers++;
	return true;
}

static bool send_packet(uint16_t op, uint32_t flags, uint32_t len, struct findings *f)
{
	return send_packet_to(conn.local, conn.peer, op, flags, len, f);
}

/* Answers what the receive side asked for: RESPONSE to a REQUEST, CREDIT_UPDATE. */
static bool service(struct findings *f)
{
	poll_rx();
	if (conn.need_response) {
		conn.need_response = false;
		conn.established = true;
		if (!send_packet(VSOCK_OP_RESPONSE, 0, 0, f))
			return false;
	}
	if (rst_pending) {
		rst_pending = false;
		if (!send_packet_to(rst_local, rst_peer, VSOCK_OP_RST, 0, 0, f))
			return false;
	}
	if (conn.need_credit) {
		conn.need_credit = false;
		if (!send_packet(VSOCK_OP_CREDIT_UPDATE, 0, 0, f))
			return false;
	}
	return true;
}

/* 1 MiB each way on the established connection, then SHUTDOWN and the device's RST. */
static bool transfer(const char *name, struct findings *f)
{
	struct vsock_conn *c = &conn;
	uint32_t sent = 0;
	uint64_t start = rdtsc(), deadline = tsc_deadline_us(VSOCK_TIMEOUT_US);
	while ((sent < VSOCK_TOTAL || c->received < VSOCK_TOTAL) && !c->reset && !c->corrupt) {
		if (tsc_passed(deadline))
			return problem(f, "%s: sent %u, received %u bytes in %u s", name, sent, c->received, VSOCK_TIMEOUT_US / 1000000);
		uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
		uint32_t credit = in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
		if (sent < VSOCK_TOTAL && credit > 0) {
			uint32_t n = VSOCK_TOTAL - sent;
			n = n < VSOCK_PAYLOAD ? n : VSOCK_PAYLOAD;
			n = n < credit ? n : credit;
			for (uint32_t i = 0; i < n; i++)
				tx_payload[i] = pattern_byte(VSOCK_SEED_TO_HOST, sent + i);
			if (!send_packet(VSOCK_OP_RW, 0, n, f))
				return false;
			sent += n;
			c->tx_cnt += n;
		}
		if (!service(f))
			return false;
	}
	uint64_t ms = (rdtsc() - start) * 1000 / tsc_hz();
	found(f, ", %s %u/%u bytes each way in %lu ms", name, sent, c->received, ms);
	if (c->corrupt)
		return problem(f, "%s: byte %u from the host is not the pattern", name, c->corrupt_at);
	if (c->reset && (sent < VSOCK_TOTAL || c->received < VSOCK_TOTAL))
		return problem(f, "%s: RST before 1 MiB each way", name);
	if (c->received > VSOCK_TOTAL)
		return problem(f, "%s: %u bytes from the host, expected %u", name, c->received, VSOCK_TOTAL);
	if (!send_packet(VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_BOTH, 0, f))
		return false;
	deadline = tsc_deadline_us(VIRTIO_REQUEST_TIMEOUT_US);
	while (!c->reset) {
		if (!service(f))
			return false;
		if (tsc_passed(deadline))
			return problem(f, "%s: no RST after SHUTDOWN", name);
	}
	return true;
}

static bool connect_to_host(uint32_t port, struct findings *f)
{
	conn = (struct vsock_conn){ .local = VSOCK_LOCAL_PORT, .peer = port };
	if (!send_packet(VSOCK_OP_REQUEST, 0, 0, f))
		return false;
	uint64_t deadline = tsc_deadline_us(VIRTIO_REQUEST_TIMEOUT_US);
	while (!conn.established && !conn.reset) {
		if (!service(f))
			return false;
		if (tsc_passed(deadline))
			return problem(f, "connect to port %u: no RESPONSE or RST", port);
	}
	if (conn.reset)
		return problem(f, "connect to port %u: refused (RST)", port);
	return transfer("connect", f);
}

static bool accept_from_host(uint32_t port, struct findings *f)
{
	conn = (struct vsock_conn){ .local = port, .listening = true };
	uint64_t deadline = tsc_deadline_us(VSOCK_ACCEPT_TIMEOUT_US);
	while (!conn.established) {
		if (!service(f))
			return false;
		if (tsc_passed(deadline))
			return problem(f, "listen on port %u: no REQUEST in %u s", port, VSOCK_ACCEPT_TIMEOUT_US / 1000000);
	}
	return transfer("accept", f);
}

static void run(uint64_t cid, uint32_t port, uint32_t listen_port, struct findings *f)
{
	if (!virtio_start(dev, VIRTIO_F_EVENT_IDX, f))
		return;
	guest_cid = virtio_config64(dev, 0);
	found(f, "%s guest_cid %lu", dev->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "", guest_cid);
	if (guest_cid != cid) {
		problem(f, "expected guest_cid %lu", cid);
		return;
	}
	if (!virtio_setup_queue(dev, 0, &rx, rx_ring, f) || !virtio_setup_queue(dev, 1, &tx, tx_ring, f) ||
	    !virtio_setup_queue(dev, 2, &ev, event_ring, f) || !virtio_enable_interrupts(dev, f))
		return;
	uint32_t posted = rx.size < VSOCK_RX_BUFFERS ? rx.size : VSOCK_RX_BUFFERS;
	for (uint32_t i = 0; i < posted; i++)
		post_rx(i);
	virtq_want_interrupts(&rx, true);
	virtq_publish(&rx);
	for (uint32_t i = 0; i < 4; i++) {
		struct virtq_buffer b = { event_buffers[i], sizeof(event_buffers[i]), true };
		virtq_add(&ev, &b, 1, false);
	}
	virtq_publish(&ev);
	if (!virtio_driver_ok(dev, f))
		return;
	found(f, ", %u rx buffers", posted);

	if (connect_to_host(port, f) && accept_from_host(listen_port, f)) {
		tsc_delay_us(10000);
		found(f, ", interrupts %u for %u used buffers", dev->used_interrupts, used_buffers);
		virtio_found_interrupts(dev, f);
		if (dev->used_interrupts == 0 || dev->used_interrupts > used_buffers)
			problem(f, "expected between 1 and %u used buffer interrupts", used_buffers);
		else if (dev->config_interrupts)
			problem(f, "%u configuration change interrupts", dev->config_interrupts);
	}
}

void test_vsock(void)
{
	const char *v, *end;
	if (!cmdline_key("glue.vsock=", &v, &end))
		return;
	struct findings f = { 0 };
	uint64_t n[3];
	dev = virtio_find(VIRTIO_ID_VSOCK, 0);
	if (!cmdline_numbers(v, end, n, 3) || n[0] < 3 || n[1] > UINT32_MAX || n[2] > UINT32_MAX) {
		problem(&f, "glue.vsock is not <cid>:<port>:<listen-port>");
	} else if (!dev) {
		problem(&f, "no socket device among %u virtio devices", virtio_device_count);
	} else {
		found(&f, "%s", dev->location);
		run(n[0], (uint32_t)n[1], (uint32_t)n[2], &f);
		virtio_reset(dev);
	}
	test_report_findings("vsock", &f);
}
