/*
 * net: with glue.net=<attributes>, the first network device (virtio 1.2, 5.1) is a host's neighbour on
 * an Ethernet: the guest answers ARP requests for its address and ICMP echo requests (ping) sent to
 * it until it has answered `pings` of them, then sends `datagrams` UDP datagrams to peer:port, each
 * with the payload "glue-net <i>/<n>", and waits for the device to use their buffers. All within
 * `seconds` (by the TSC), else FAIL. Attributes (README.md):
 *   ip:<a.b.c.d>  peer:<a.b.c.d>  udp:<port>  [pings:<n>]  [datagrams:<n>]  [seconds:<n>]
 * The peer's MAC comes from its ARP request or echo request; else the guest asks for it with ARP.
 * Interrupts: each queue asks for one per used buffer; the device must send at least one and no more
 * than there were used buffers (one may cover several, and both queues share the line).
 */
#include "format.h"
#include "net.h"
#include "report.h"
#include "start_info.h"
#include "tests.h"
#include "tsc.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETH_HEADER 14
#define IP_HEADER 20
#define UDP_HEADER 8
#define ARP_BODY 28
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define IPPROTO_ICMP 1
#define IPPROTO_UDP 17
#define ARP_RETRY_US 200000
#define SETTLE_US 10000

struct net_key {
	bool given, valid;
	uint32_t ip, peer;
	uint64_t port, pings, datagrams, seconds;
};

static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct stack {
	struct net_device nic;
	struct net_key key;
	uint8_t peer_mac[ETH_ALEN];
	bool peer_known;
	uint32_t frames, ignored, arp_requests, arp_replies, echo_requests, echo_replies, udp_sent, tx_busy;
	uint16_t ip_id;
};

static struct stack s;

/* a.b.c.d into a host-order address. */
static bool parse_ipv4(const char *p, const char *end, uint32_t *ip)
{
	uint32_t value = 0;
	for (int part = 0; part < 4; part++) {
		const char *e = p;
		while (e < end && *e != '.')
			e++;
		uint64_t byte;
		if ((part < 3) != (e < end) || !parse_u64(p, e, &byte) || byte > 255)
			return false;
		value = value << 8 | (uint32_t)byte;
		p = e + 1;
	}
	*ip = value;
	return true;
}

static void parse_key(const char *v, const char *end, struct net_key *k)
{
	*k = (struct net_key){ .given = true, .valid = true, .pings = 3, .datagrams = 3, .seconds = 30 };
	bool ip = false, peer = false, port = false;
	for (const char *a = v; a <= end;) {
		const char *e = a;
		while (e < end && *e != ',')
			e++;
		const char *x;
		bool ok;
		if (key_value(a, e, "ip:", &x))
			ok = ip = parse_ipv4(x, e, &k->ip);
		else if (key_value(a, e, "peer:", &x))
			ok = peer = parse_ipv4(x, e, &k->peer);
		else if (key_value(a, e, "udp:", &x))
			ok = port = parse_u64(x, e, &k->port) && k->port > 0 && k->port < 65536;
		else if (key_value(a, e, "pings:", &x))
			ok = parse_u64(x, e, &k->pings);
		else if (key_value(a, e, "datagrams:", &x))
			ok = parse_u64(x, e, &k->datagrams) && k->datagrams <= 1000;
		else if (key_value(a, e, "seconds:", &x))
			ok = parse_u64(x, e, &k->seconds) && k->seconds > 0 && k->seconds <= 600;
		else
			ok = false;
		k->valid &= ok;
		a = e + 1;
	}
	k->valid &= ip && peer && port;
}

/* The glue.net= token of the command line, if there is one (the last one wins). */
static void find_key(struct net_key *k)
{
	*k = (struct net_key){ 0 };
	const char *p = boot_info.cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *token = p;
		while (*p && *p != ' ')
			p++;
		const char *v;
		if (key_value(token, p, "glue.net=", &v))
			parse_key(v, p, k);
	}
}

/* Ethernet header of a frame to `to`, from us. */
static uint8_t *ethernet(uint8_t *frame, const uint8_t *to, uint16_t type)
{
	memcpy(frame, to, ETH_ALEN);
	memcpy(frame + ETH_ALEN, s.nic.mac, ETH_ALEN);
	put_be16(frame + 12, type);
	return frame + ETH_HEADER;
}

/* An ARP packet (RFC 826) for Ethernet and IPv4. */
static void send_arp(uint16_t op, const uint8_t *to_mac, const uint8_t *target_mac, uint32_t target_ip)
{
	uint32_t b;
	uint8_t *frame = net_tx_frame(&s.nic, &b);
	if (!frame) {
		s.tx_busy++;
		return;
	}
	uint8_t *a = ethernet(frame, to_mac, ETHERTYPE_ARP);
	put_be16(a, 1);              /* htype Ethernet */
	put_be16(a + 2, ETHERTYPE_IPV4);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, s.nic.mac, ETH_ALEN);
	put_be32(a + 14, s.key.ip);
	memcpy(a + 18, target_mac, ETH_ALEN);
	put_be32(a + 24, target_ip);
	memset(a + ARP_BODY, 0, 60 - ETH_HEADER - ARP_BODY); /* pad to the 60-byte minimum */
	net_send(&s.nic, b, 60);
}

static void learn_peer(const uint8_t *mac, uint32_t ip)
{
	if (ip == s.key.peer) {
		memcpy(s.peer_mac, mac, ETH_ALEN);
		s.peer_known = true;
	}
}

static void on_arp(const uint8_t *eth, const uint8_t *a, uint32_t length)
{
	if (length < ARP_BODY || be16(a) != 1 || be16(a + 2) != ETHERTYPE_IPV4 || a[4] != ETH_ALEN || a[5] != 4) {
		s.ignored++;
		return;
	}
	(void)eth;
	uint16_t op = be16(a + 6);
	uint32_t sender_ip = be32(a + 14), target_ip = be32(a + 24);
	learn_peer(a + 8, sender_ip);
	if (op == 1 && target_ip == s.key.ip) {
		s.arp_requests++;
		send_arp(2, a + 8, a + 8, sender_ip);
		s.arp_replies++;
	}
}

/* An IPv4 header (RFC 791) without options, from us to `to`. */
static uint8_t *ipv4(uint8_t *ip, uint8_t protocol, uint32_t to, uint32_t payload)
{
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IP_HEADER + payload));
	put_be16(ip + 4, s.ip_id++);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = protocol;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, s.key.ip);
	put_be32(ip + 16, to);
	put_be16(ip + 10, inet_checksum(ip, IP_HEADER, 0));
	return ip + IP_HEADER;
}

static void on_echo_request(const uint8_t *eth, const uint8_t *ip, const uint8_t *icmp, uint32_t length)
{
	s.echo_requests++;
	uint32_t b;
	uint8_t *frame = net_tx_frame(&s.nic, &b);
	if (!frame || length > NET_FRAME_MAX - ETH_HEADER - IP_HEADER) {
		s.tx_busy++;
		return;
	}
	uint8_t *reply = ipv4(ethernet(frame, eth + ETH_ALEN, ETHERTYPE_IPV4), IPPROTO_ICMP, be32(ip + 12), length);
	memcpy(reply, icmp, length);
	reply[0] = ICMP_ECHO_REPLY;
	put_be16(reply + 2, 0);
	put_be16(reply + 2, inet_checksum(reply, length, 0));
	uint32_t frame_length = ETH_HEADER + IP_HEADER + length;
	net_send(&s.nic, b, frame_length < 60 ? 60 : frame_length);
	s.echo_replies++;
}

static void on_ipv4(const uint8_t *eth, const uint8_t *ip, uint32_t length)
{
	uint32_t header = (uint32_t)(ip[0] & 0xf) * 4;
	if (length < IP_HEADER || ip[0] >> 4 != 4 || header < IP_HEADER || be16(ip + 2) > length || be16(ip + 2) < header ||
	    inet_checksum(ip, header, 0) != 0 || be32(ip + 16) != s.key.ip || (be16(ip + 6) & 0x3fff) != 0) {
		s.ignored++; /* not ours, damaged, or a fragment */
		return;
	}
	learn_peer(eth + ETH_ALEN, be32(ip + 12));
	const uint8_t *icmp = ip + header;
	uint32_t icmp_length = be16(ip + 2) - header;
	if (ip[9] == IPPROTO_ICMP && icmp_length >= 8 && icmp[0] == ICMP_ECHO_REQUEST && icmp[1] == 0 &&
	    inet_checksum(icmp, icmp_length, 0) == 0)
		on_echo_request(eth, ip, icmp, icmp_length);
	else
		s.ignored++;
}

static void on_frame(const uint8_t *eth, uint32_t length)
{
	s.frames++;
	if (memcmp(eth, s.nic.mac, ETH_ALEN) != 0 && memcmp(eth, broadcast, ETH_ALEN) != 0) {
		s.ignored++; /* someone else's unicast, or multicast (IPv6 neighbour discovery and the like) */
		return;
	}
	uint16_t type = be16(eth + 12);
	if (type == ETHERTYPE_ARP)
		on_arp(eth, eth + ETH_HEADER, length - ETH_HEADER);
	else if (type == ETHERTYPE_IPV4)
		on_ipv4(eth, eth + ETH_HEADER, length - ETH_HEADER);
	else
		s.ignored++;
}

/* UDP (RFC 768) to peer:port from port, with its checksum over the pseudo-header. */
static bool send_datagram(uint32_t number)
{
	uint32_t b;
	uint8_t *frame = net_tx_frame(&s.nic, &b);
	if (!frame)
		return false;
	char payload[32];
	format_buffer(payload, sizeof(payload), "glue-net %u/%u", number, (uint32_t)s.key.datagrams);
	uint32_t payload_length = (uint32_t)strlen(payload);
	uint32_t udp_length = UDP_HEADER + payload_length;
	uint8_t *udp = ipv4(ethernet(frame, s.peer_mac, ETHERTYPE_IPV4), IPPROTO_UDP, s.key.peer, udp_length);
	put_be16(udp, (uint16_t)s.key.port);
	put_be16(udp + 2, (uint16_t)s.key.port);
	put_be16(udp + 4, (uint16_t)udp_length);
	put_be16(udp + 6, 0);
	memcpy(udp + UDP_HEADER, payload, payload_length);
	uint32_t pseudo = (s.key.ip >> 16) + (s.key.ip & 0xffff) + (s.key.peer >> 16) + (s.key.peer & 0xffff) +
			  IPPROTO_UDP + udp_length;
	uint16_t sum = inet_checksum(udp, udp_length, pseudo);
	put_be16(udp + 6, sum ? sum : 0xffff);
	uint32_t frame_length = ETH_HEADER + IP_HEADER + udp_length;
	net_send(&s.nic, b, frame_length < 60 ? 60 : frame_length);
	return true;
}

static void serve(struct findings *f)
{
	struct virtio_device *d = s.nic.dev;
	uint64_t deadline = tsc_deadline_us(s.key.seconds * 1000000);
	uint64_t arp_next = 0;
	bool in_time = false;
	while (!tsc_passed(deadline)) {
		uint32_t length, b;
		uint8_t *frame;
		while ((frame = net_receive(&s.nic, &length, &b))) {
			on_frame(frame, length);
			net_rx_done(&s.nic, b);
		}
		net_collect_tx(&s.nic);
		net_want_interrupts(&s.nic);
		if (s.echo_replies >= s.key.pings && s.udp_sent < s.key.datagrams) {
			if (s.peer_known) {
				if (send_datagram(s.udp_sent + 1))
					s.udp_sent++;
			} else if (tsc_passed(arp_next)) {
				send_arp(1, broadcast, (const uint8_t[ETH_ALEN]){ 0 }, s.key.peer);
				arp_next = tsc_deadline_us(ARP_RETRY_US);
			}
		}
		if (s.echo_replies >= s.key.pings && s.udp_sent >= s.key.datagrams && s.nic.tx_used == s.nic.tx_sent) {
			in_time = true;
			break;
		}
		cpu_relax();
	}
	tsc_delay_us(SETTLE_US);
	net_collect_tx(&s.nic);
	uint32_t completions = s.nic.rx_used + s.nic.tx_used;
	found(f, ": %u frames in (%u ignored, %u empty buffers), %u arp replies, %u/%u echo replies, %u/%u udp to port %u, "
		 "%u tx (%u chained, %u indirect, %u used), interrupts %u for %u used buffers (%u empty, %u config)",
	      s.frames, s.ignored, s.nic.rx_short, s.arp_replies, s.echo_replies, (uint32_t)s.key.pings, s.udp_sent,
	      (uint32_t)s.key.datagrams, (uint32_t)s.key.port, s.nic.tx_sent, s.nic.tx_chained, s.nic.tx_indirect,
	      s.nic.tx_used, d->used_interrupts, completions, d->empty_interrupts, d->config_interrupts);
	virtio_found_interrupts(d, f);
	if (!in_time)
		problem(f, "not done within %u s", (uint32_t)s.key.seconds);
	else if (s.tx_busy)
		problem(f, "%u frames not sent: no free transmit buffer", s.tx_busy);
	else if (d->used_interrupts == 0)
		problem(f, "no used buffer interrupt");
	else if (d->used_interrupts + d->empty_interrupts > completions)
		problem(f, "more interrupts than used buffers");
	else if (d->config_interrupts)
		problem(f, "unexpected configuration change interrupts");
}

void test_net(const struct options *options)
{
	(void)options;
	find_key(&s.key);
	if (!s.key.given)
		return;
	struct findings f = { 0 };
	struct virtio_device *d = virtio_find(VIRTIO_ID_NET, 0);
	if (!s.key.valid) {
		problem(&f, "glue.net needs ip:<a.b.c.d>,peer:<a.b.c.d>,udp:<port>[,pings:<n>][,datagrams:<n>][,seconds:<n>]");
	} else if (!d) {
		problem(&f, "no network device among %u virtio devices", virtio_device_count);
	} else {
		found(&f, "%s", d->location);
		if (net_open(&s.nic, d, &f)) {
			const uint8_t *m = s.nic.mac;
			found(&f, " mac %02x:%02x:%02x:%02x:%02x:%02x%s%s", m[0], m[1], m[2], m[3], m[4], m[5],
			      d->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "", d->features & VIRTIO_F_INDIRECT_DESC ? " indirect" : "");
			serve(&f);
		}
		virtio_reset(d);
	}
	test_report_findings("net", &f);
}
