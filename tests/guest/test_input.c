/*
 * input: with glue.input=<events>[:<seconds>], the virtio input devices (virtio 1.2, 5.8) are found and
 * told apart by their config space: the keyboard sends EV_KEY with KEY_A, the tablet EV_ABS with ABS_X
 * and ABS_Y (whose ABS_INFO ranges are reported). Each gets 32 event buffers of one event, kept posted;
 * the keyboard's statusq takes an EV_LED (caps lock on). The guest then prints `GLUE-INPUT READY` and
 * collects what arrives, report by report (up to each EV_SYN), until <events> tokens came or <seconds>
 * (default 20) passed:
 *     k<code>+ / k<code>- / k<code>r   a key (or button) down, up, repeated
 *     a<x>,<y>                        the tablet's position after a report that moved it
 *     w<n>                            a wheel step
 * keys and buttons in the order they came, the keyboard's and the tablet's apart. PASS when both
 * devices were found and described themselves, and the count was reached.
 */
#include "cmdline_key.h"
#include "format.h"
#include "report.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"
#include "virtio.h"
#include "virtio_request.h"

#define VIRTIO_ID_INPUT 18

/* virtio_input.h and input-event-codes.h */
#define VIRTIO_INPUT_CFG_ID_NAME 0x01
#define VIRTIO_INPUT_CFG_EV_BITS 0x11
#define VIRTIO_INPUT_CFG_ABS_INFO 0x12
#define VIRTIO_INPUT_CONFIG_SELECT 0
#define VIRTIO_INPUT_CONFIG_SUBSEL 1
#define VIRTIO_INPUT_CONFIG_UNION 8
#define EV_SYN 0x00
#define EV_KEY 0x01
#define EV_REL 0x02
#define EV_ABS 0x03
#define EV_LED 0x11
#define KEY_A 30
#define ABS_X 0
#define ABS_Y 1
#define REL_WHEEL 8
#define LED_CAPSL 1

#define INPUT_BUFFERS 32
#define INPUT_MAX_TOKENS 64
#define INPUT_DEFAULT_SECONDS 20

struct virtio_input_event {
	uint16_t type, code;
	uint32_t value;
};

struct input_device {
	struct virtio_device *dev;
	struct virtio_channel events;
	char name[129];
	struct virtio_input_event buffers[INPUT_BUFFERS];
	int32_t x, y;
	bool moved;
	char tokens[640];
	uint32_t count;
};

static uint8_t ring_memory[2][2][VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static struct input_device keyboard, tablet;
static struct virtio_input_event led = { EV_LED, LED_CAPSL, 1 };

/* Selects select/subsel and returns the size the device gives the union (4.8.5: write, then read size). */
static uint32_t config_select(struct virtio_device *d, uint8_t select, uint8_t subsel)
{
	virtio_config_write8(d, VIRTIO_INPUT_CONFIG_SELECT, select);
	virtio_config_write8(d, VIRTIO_INPUT_CONFIG_SUBSEL, subsel);
	return virtio_config32(d, 0) >> 16 & 0xff;
}

static uint8_t union_byte(struct virtio_device *d, uint32_t i)
{
	return (uint8_t)(virtio_config32(d, VIRTIO_INPUT_CONFIG_UNION + (i & ~3u)) >> 8 * (i & 3));
}

static bool has_code(struct virtio_device *d, uint8_t type, uint32_t code)
{
	uint32_t size = config_select(d, VIRTIO_INPUT_CFG_EV_BITS, type);
	return code / 8 < size && union_byte(d, code / 8) & 1u << code % 8;
}

static void read_name(struct virtio_device *d, char *name)
{
	uint32_t size = config_select(d, VIRTIO_INPUT_CFG_ID_NAME, 0);
	for (uint32_t i = 0; i < size && i < 128; i++)
		name[i] = (char)union_byte(d, i);
	name[size < 128 ? size : 128] = 0;
}

static void post(struct input_device *in, unsigned i)
{
	struct virtq_buffer b = { &in->buffers[i], sizeof(in->buffers[i]), true };
	virtq_add(&in->events.vq, &b, 1, false);
}

static bool start(struct input_device *in, unsigned index, struct findings *f)
{
	struct virtio_device *d = in->dev;
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX, f))
		return false;
	read_name(d, in->name);
	in->events = (struct virtio_channel){ .dev = d, .queue = 0 };
	struct virtio_channel status;
	if (!virtio_setup_queue(d, 0, &in->events.vq, ring_memory[index][0], f) ||
	    !virtio_channel_open(&status, d, 1, ring_memory[index][1], f) || !virtio_driver_ok(d, f))
		return false;
	virtq_want_interrupts(&in->events.vq, false);
	for (unsigned i = 0; i < INPUT_BUFFERS; i++)
		post(in, i);
	if (virtq_publish(&in->events.vq))
		virtio_notify(d, 0);
	if (in == &keyboard) {
		struct virtq_buffer b = { &led, sizeof(led), false };
		uint32_t written;
		if (!virtio_request(&status, &b, 1, false, &written, f))
			return false;
	}
	return true;
}

static void token(struct input_device *in, const char *fmt, uint32_t a, uint32_t b)
{
	char t[24];
	format_buffer(t, sizeof(t), fmt, a, b);
	if (strlen(in->tokens) + strlen(t) + 2 < sizeof(in->tokens)) {
		if (in->tokens[0])
			append_format(in->tokens, sizeof(in->tokens), " ");
		append_format(in->tokens, sizeof(in->tokens), "%s", t);
	}
	in->count++;
}

/* Takes the used event buffers, makes tokens of them, and posts the buffers again. */
static void collect(struct input_device *in)
{
	uint32_t head, written;
	bool any = false;
	while (virtq_get_used(&in->events.vq, &head, &written)) {
		struct virtio_input_event e = in->buffers[head];
		any = true;
		if (written == sizeof(e)) {
			if (e.type == EV_KEY)
				token(in, e.value == 0 ? "k%u-" : e.value == 1 ? "k%u+" : "k%ur", e.code, 0);
			else if (e.type == EV_ABS && e.code == ABS_X)
				in->x = (int32_t)e.value, in->moved = true;
			else if (e.type == EV_ABS && e.code == ABS_Y)
				in->y = (int32_t)e.value, in->moved = true;
			else if (e.type == EV_REL && e.code == REL_WHEEL)
				token(in, "w%d", e.value, 0);
			else if (e.type == EV_SYN && in->moved)
				token(in, "a%u,%u", (uint32_t)in->x, (uint32_t)in->y), in->moved = false;
		}
		post(in, head);
	}
	if (any && virtq_publish(&in->events.vq))
		virtio_notify(in->dev, 0);
}

void test_input(void)
{
	const char *v, *end, *colon;
	if (!cmdline_key("glue.input=", &v, &end))
		return;
	struct findings f = { 0 };
	uint64_t want = 0, seconds = INPUT_DEFAULT_SECONDS;
	for (colon = v; colon < end && *colon != ':'; colon++)
		;
	if (!parse_number(v, colon, &want) || want > INPUT_MAX_TOKENS || (colon < end && !parse_number(colon + 1, end, &seconds))) {
		problem(&f, "glue.input is not <events up to %u>[:<seconds>]", INPUT_MAX_TOKENS);
		test_report_findings("input", &f);
		return;
	}
	for (uint32_t k = 0; virtio_find(VIRTIO_ID_INPUT, k); k++) {
		struct virtio_device *d = virtio_find(VIRTIO_ID_INPUT, k);
		if (!keyboard.dev && has_code(d, EV_KEY, KEY_A))
			keyboard.dev = d;
		else if (!tablet.dev && has_code(d, EV_ABS, ABS_X) && has_code(d, EV_ABS, ABS_Y))
			tablet.dev = d;
	}
	if (!keyboard.dev || !tablet.dev) {
		problem(&f, "no %s among the input devices", keyboard.dev ? "tablet" : "keyboard");
	} else if (start(&keyboard, 0, &f) && start(&tablet, 1, &f)) {
		found(&f, "keyboard 0x%lx \"%s\", tablet 0x%lx \"%s\"", (uint64_t)keyboard.dev->base, keyboard.name, (uint64_t)tablet.dev->base,
		      tablet.name);
		for (uint8_t axis = ABS_X; axis <= ABS_Y; axis++) {
			uint32_t size = config_select(tablet.dev, VIRTIO_INPUT_CFG_ABS_INFO, axis);
			found(&f, " %c %d-%d", axis == ABS_X ? 'x' : 'y', size >= 8 ? (int32_t)virtio_config32(tablet.dev, 8) : -1,
			      size >= 8 ? (int32_t)virtio_config32(tablet.dev, 12) : -1);
		}
		found(&f, ", led taken");
		kprintf("GLUE-INPUT READY\n");
		uint64_t deadline = tsc_deadline_us(seconds * 1000000);
		while (keyboard.count + tablet.count < want && !tsc_passed(deadline)) {
			collect(&keyboard);
			collect(&tablet);
		}
		found(&f, ": %u events: keys %s; pointer %s", keyboard.count + tablet.count, keyboard.tokens[0] ? keyboard.tokens : "-",
		      tablet.tokens[0] ? tablet.tokens : "-");
		if (keyboard.count + tablet.count < want)
			problem(&f, "%lu expected within %lu s", want, seconds);
	}
	test_report_findings("input", &f);
	if (keyboard.dev)
		virtio_reset(keyboard.dev);
	if (tablet.dev)
		virtio_reset(tablet.dev);
}
