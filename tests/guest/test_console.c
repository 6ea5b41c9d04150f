/*
 * console: with glue.console=echo:<n>, the first virtio console (virtio 1.2, 5.3; one port, no
 * MULTIPORT) echoes n bytes: the guest offers one receive buffer at a time on receiveq0 (queue 0),
 * and writes what each brought back on transmitq0 (queue 1), one request at a time. So every
 * completion, receive or transmit, asks for and must bring exactly one interrupt (interrupts that
 * came at DRIVER_OK, before any buffer, are counted apart). PASS once n bytes went round; the report
 * goes to the UART as always.
 */
#include "cmdline_key.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

#define CONSOLE_MAX_ECHO (1u << 20)
#define CONSOLE_PIECE 256
#define CONSOLE_INPUT_TIMEOUT_US 20000000 /* the host's input may come late */

static uint8_t rx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t piece[CONSOLE_PIECE];

static void echo(struct virtio_device *d, uint32_t n, struct findings *f)
{
	struct virtio_channel tx;
	struct virtq rx;
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX, f))
		return;
	found(f, "%s", d->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "");
	if (!virtio_setup_queue(d, 0, &rx, rx_ring, f) || !virtio_channel_open(&tx, d, 1, tx_ring, f) ||
	    !virtio_driver_ok(d, f))
		return;

	/*
	 * QEMU's virtio-serial sends one used-buffer interrupt at DRIVER_OK, before any buffer exists: it is
	 * reported and taken as the baseline (Glue's build test requires 0 of them).
	 */
	tsc_delay_us(10000);
	uint32_t at_start = d->used_interrupts;
	tx.expected_interrupts = at_start;
	uint32_t echoed = 0, receives = 0;
	while (echoed < n) {
		uint32_t want = n - echoed < CONSOLE_PIECE ? n - echoed : CONSOLE_PIECE;
		struct virtq_buffer in = { piece, want, true };
		virtq_want_interrupts(&rx, true);
		int head = virtq_add(&rx, &in, 1, false);
		if (virtq_publish(&rx))
			virtio_notify(d, 0);
		uint32_t used_head, got;
		uint64_t deadline = tsc_deadline_us(CONSOLE_INPUT_TIMEOUT_US);
		while (!virtq_get_used(&rx, &used_head, &got))
			if (tsc_passed(deadline)) {
				problem(f, "no input after %u of %u bytes in %u s", echoed, n, CONSOLE_INPUT_TIMEOUT_US / 1000000);
				goto out;
			}
		receives++;
		tx.expected_interrupts++; /* the receive asked for one */
		if (used_head != (uint32_t)head || got == 0 || got > want) {
			problem(f, "receive %u: head %u length %u for a %u-byte buffer", receives, used_head, got, want);
			goto out;
		}
		uint64_t interrupt_deadline = tsc_deadline_us(VIRTIO_INTERRUPT_TIMEOUT_US);
		while (d->used_interrupts < tx.expected_interrupts)
			if (tsc_passed(interrupt_deadline)) {
				problem(f, "receive %u: used, but %u of %u interrupts", receives, d->used_interrupts, tx.expected_interrupts);
				goto out;
			}
		struct virtq_buffer out = { piece, got, false };
		uint32_t written;
		if (!virtio_request(&tx, &out, 1, false, &written, f))
			goto out;
		echoed += got;
	}
out:
	found(f, ": echoed %u of %u bytes in %u receive buffers, %u transmits, %u interrupts at DRIVER_OK", echoed, n, receives, tx.requests, at_start);
	virtio_check_interrupts(&tx, f);
}

void test_console(void)
{
	const char *v, *end;
	if (!cmdline_key("glue.console=", &v, &end))
		return;
	struct findings f = { 0 };
	uint64_t n;
	struct virtio_device *d = virtio_find(VIRTIO_ID_CONSOLE, 0);
	if (end - v < 6 || memcmp(v, "echo:", 5) != 0 || !parse_number(v + 5, end, &n) || n == 0 || n > CONSOLE_MAX_ECHO) {
		problem(&f, "glue.console is not echo:<n> with 0 < n <= %u", CONSOLE_MAX_ECHO);
	} else if (!d) {
		problem(&f, "no console device among %u virtio devices", virtio_device_count);
	} else {
		found(&f, "%s", d->location);
		echo(d, (uint32_t)n, &f);
		virtio_reset(d);
	}
	test_report_findings("console", &f);
}
