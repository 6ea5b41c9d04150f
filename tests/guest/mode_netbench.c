/*
 * glue.mode=netbench: transmit throughput of the first network device (net.h's driver), guest to host. The
 * guest waits for a UDP datagram to port+1 (the host's go, so that nothing is sent before the host listens),
 * then sends <small> 60-byte frames and then <large> 1514-byte frames, each a UDP datagram from 10.0.2.15 to
 * the subnet broadcast 10.0.2.255:<port> (broadcast MAC, so no ARP), and times each run from its first frame
 * to the device's last used transmit buffer:
 *   GLUE-BENCH net small <n> <ticks> large <m> <ticks>; tsc <hz> Hz (<source>)
 * A datagram's payload starts with "GLUE", its kind ('s' or 'l') and its 32-bit big-endian number, which the
 * host counts. glue.netbench=<small>:<large>:<port> (default 100000:20000:5556). No tests run.
 */
#include "cmdline_key.h"
#include "net.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"

#define ETHERTYPE_IPV4 0x0800
#define IPPROTO_UDP 17
#define ETH_HEADER 14
#define IP_HEADER 20
#define UDP_HEADER 8
#define GUEST_IP 0x0a00020fu     /* 10.0.2.15 */
#define BROADCAST_IP 0x0a0002ffu /* 10.0.2.255 */
#define SMALL_FRAME 60           /* the Ethernet minimum, without the FCS */
#define LARGE_FRAME 1514         /* a 1500-byte MTU's frame */
#define GO_TIMEOUT_US 30000000

static struct net_device nic;

/* A UDP datagram to the broadcast address filling a frame of `length` bytes. */
static void build(uint8_t *frame, uint32_t length, uint16_t port, char kind, uint32_t number)
{
	static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	memcpy(frame, broadcast, ETH_ALEN);
	memcpy(frame + ETH_ALEN, nic.mac, ETH_ALEN);
	put_be16(frame + 12, ETHERTYPE_IPV4);
	uint8_t *ip = frame + ETH_HEADER;
	uint32_t ip_length = length - ETH_HEADER;
	memset(ip, 0, IP_HEADER);
	ip[0] = 0x45; /* IPv4 (RFC 791), 5 words of header */
	put_be16(ip + 2, (uint16_t)ip_length);
	ip[8] = 64; /* TTL */
	ip[9] = IPPROTO_UDP;
	put_be32(ip + 12, GUEST_IP);
	put_be32(ip + 16, BROADCAST_IP);
	put_be16(ip + 10, inet_checksum(ip, IP_HEADER, 0));
	uint8_t *udp = ip + IP_HEADER;
	put_be16(udp, port);
	put_be16(udp + 2, port);
	put_be16(udp + 4, (uint16_t)(ip_length - IP_HEADER));
	put_be16(udp + 6, 0); /* no checksum (RFC 768) */
	memcpy(udp + UDP_HEADER, "GLUE", 4);
	udp[UDP_HEADER + 4] = (uint8_t)kind;
	put_be32(udp + UDP_HEADER + 5, number);
}

/* True when a datagram to `port` has come (the host's go); other frames (IPv6 neighbour discovery...) are dropped. */
static bool go_received(uint16_t port)
{
	uint32_t length, b;
	uint8_t *frame;
	bool go = false;
	while ((frame = net_receive(&nic, &length, &b))) {
		go |= length >= ETH_HEADER + IP_HEADER + UDP_HEADER && be16(frame + 12) == ETHERTYPE_IPV4 &&
		      frame[ETH_HEADER + 9] == IPPROTO_UDP && be16(frame + ETH_HEADER + IP_HEADER + 2) == port;
		net_rx_done(&nic, b);
	}
	return go;
}

/* Sends `count` frames of `length` bytes as fast as the device takes them; returns the ticks until all were used. */
static uint64_t send(uint32_t count, uint32_t length, uint16_t port, char kind)
{
	uint64_t start = rdtsc();
	for (uint32_t i = 0; i < count; i++) {
		uint32_t b;
		uint8_t *frame;
		while (!(frame = net_tx_frame(&nic, &b)))
			net_collect_tx(&nic);
		build(frame, length, port, kind, i);
		net_send(&nic, b, length);
	}
	while (nic.tx_used != nic.tx_sent)
		net_collect_tx(&nic);
	return rdtsc() - start;
}

static void bench(uint64_t small, uint64_t large, uint16_t port, struct findings *f)
{
	struct virtio_device *d = virtio_find(VIRTIO_ID_NET, 0);
	if (!d) {
		problem(f, "no network device among %u virtio devices", virtio_device_count);
		return;
	}
	if (!net_open(&nic, d, f))
		return;
	uint64_t deadline = tsc_deadline_us(GO_TIMEOUT_US);
	while (!go_received((uint16_t)(port + 1)))
		if (tsc_passed(deadline)) {
			problem(f, "no datagram to port %u within %u s", port + 1, GO_TIMEOUT_US / 1000000);
			return;
		}
	uint64_t small_ticks = send((uint32_t)small, SMALL_FRAME, port, 's');
	uint64_t large_ticks = send((uint32_t)large, LARGE_FRAME, port, 'l');
	virtio_reset(d);
	kprintf("GLUE-BENCH net small %lu %lu large %lu %lu; tsc %lu Hz (%s)\n", small, small_ticks, large, large_ticks,
		tsc_hz(), tsc_hz_source());
}

NORETURN void run_netbench(const struct options *options)
{
	uint64_t n[3] = { 100000, 20000, 5556 };
	const char *v, *end;
	struct findings f = { 0 };
	if (cmdline_key("glue.netbench=", &v, &end) &&
	    (!cmdline_numbers(v, end, n, 3) || n[0] == 0 || n[1] == 0 || n[0] > UINT32_MAX || n[1] > UINT32_MAX || n[2] == 0 || n[2] > 65534))
		problem(&f, "glue.netbench= takes <small frames>:<large frames>:<port>");
	else {
		virtio_discover(options, &f);
		bench(n[0], n[1], (uint16_t)n[2], &f);
	}
	if (f.problem[0])
		kprintf("GLUE-BENCH net FAIL %s\n", f.problem);
	vm_exit(!f.problem[0]);
}
