/*
 * gpu: with glue.gpu=<width>x<height>[:<hold ms>], the first GPU device (virtio 1.2, 5.7) is driven the
 * way Linux's virtio-gpu brings up its console, 2D only: GET_DISPLAY_INFO must offer the mode; GET_EDID
 * (when VIRTIO_GPU_F_EDID is offered) a valid EDID block for it; a B8G8R8X8 resource of that size gets
 * a backing of four uneven pieces, the pattern below is drawn, transferred, set as scanout 0 and flushed
 * (fenced: the answer must carry the fence); then a sub-rectangle is redrawn, transferred and flushed
 * alone. A 64x64 B8G8R8A8 cursor is uploaded and moved on the cursor queue. Then hostile commands,
 * each of which must get its error: resource id 0, an unknown command, a transfer beyond the resource,
 * a flush of an unknown resource, a scanout that does not exist, a 16384 x 16384 resource (1 GiB: more than either VMM allows by default), backing
 * outside RAM. Every control request asks for and must bring one interrupt. After the report line the
 * guest keeps the picture up for <hold ms> (for the host to take a screenshot), or until a byte arrives on
 * COM1 (the host has taken it), then resets the device.
 *
 * The picture (what the host compares): the top half eight colour bars (white, yellow, cyan, green,
 * magenta, red, blue, black), bar = x * 8 / width; the bottom half a gradient, red = x * 255 / (width - 1),
 * green = y * 255 / (height - 1), blue = (x + y) & 0xff; and the rectangle [width / 4, width / 2) x
 * [height / 2 - height / 8, height / 2 + height / 8) redrawn with red = (y - top) * 255 / (rows - 1),
 * green 0x40, blue = (x - left) * 255 / (columns - 1). The fourth byte of every pixel is 0xa5, which
 * the display must ignore.
 */
#include "cmdline_key.h"
#include "report.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_gpu.h"
#include "virtio_request.h"

#define GPU_MAX_WIDTH 1920
#define GPU_MAX_HEIGHT 1200
#define GPU_FRAME_ID 1
#define GPU_CURSOR_ID 2
#define GPU_SCRATCH_ID 3
#define GPU_CURSOR_SIDE 64
#define GPU_FENCE 0x676c7565u /* "glue" */
#define GPU_HOLD_MAX_MS 60000

static uint8_t control_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t cursor_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint32_t frame[GPU_MAX_WIDTH * GPU_MAX_HEIGHT] __attribute__((aligned(4096)));
static uint32_t cursor_image[GPU_CURSOR_SIDE * GPU_CURSOR_SIDE] __attribute__((aligned(4096)));
static uint8_t request[sizeof(struct virtio_gpu_resource_attach_backing) + 4 * sizeof(struct virtio_gpu_mem_entry)];
static struct virtio_gpu_resp_edid response; /* the largest response */

struct gpu {
	struct virtio_device *dev;
	struct virtio_channel control;
	struct virtio_channel cursor; /* its interrupts are counted in control's */
	uint32_t width, height;
	uint32_t commands, errors_checked;
};

static const uint32_t bars[8] = { 0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000 };

static uint32_t pattern(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (y < h / 2)
		return bars[x * 8 / w];
	return (x * 255 / (w - 1)) << 16 | (y * 255 / (h - 1)) << 8 | ((x + y) & 0xff);
}

static void sub_rect(uint32_t w, uint32_t h, struct virtio_gpu_rect *r)
{
	*r = (struct virtio_gpu_rect){ w / 4, h / 2 - h / 8, w / 4, h / 4 };
}

static uint32_t sub_pattern(uint32_t x, uint32_t y, const struct virtio_gpu_rect *r)
{
	return ((y - r->y) * 255 / (r->height - 1)) << 16 | 0x40 << 8 | (x - r->x) * 255 / (r->width - 1);
}

static struct virtio_gpu_ctrl_hdr header(uint32_t type)
{
	return (struct virtio_gpu_ctrl_hdr){ .type = type };
}

/* One control request and its response; the response type, or 0 (with the problem in f) if none came. */
static uint32_t command(struct gpu *g, const void *req, uint32_t length, uint32_t response_length, struct findings *f)
{
	struct virtq_buffer buffers[2] = { { req, length, false }, { &response, response_length, true } };
	uint32_t written;
	memset(&response, 0, response_length);
	if (!virtio_request(&g->control, buffers, 2, false, &written, f))
		return 0;
	g->commands++;
	if (written < sizeof(struct virtio_gpu_ctrl_hdr)) {
		problem(f, "command 0x%x: %u bytes of response", ((const struct virtio_gpu_ctrl_hdr *)req)->type, written);
		return 0;
	}
	return response.hdr.type;
}

static bool expect(uint32_t got, uint32_t want, const char *what, struct findings *f)
{
	if (got == want)
		return true;
	return got == 0 ? false : problem(f, "%s: response 0x%x, expected 0x%x", what, got, want);
}

#define SEND(g, req, f) command(g, &(req), sizeof(req), sizeof(struct virtio_gpu_ctrl_hdr), f)

static bool create(struct gpu *g, uint32_t id, uint32_t format, uint32_t w, uint32_t h, uint32_t want, struct findings *f)
{
	struct virtio_gpu_resource_create_2d c = { header(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D), id, format, w, h };
	return expect(SEND(g, c, f), want, "RESOURCE_CREATE_2D", f);
}

/* ATTACH_BACKING of [base, base + bytes) in `pieces` pieces cut at odd places (not on pixels). */
static uint32_t attach(struct gpu *g, uint32_t id, uint64_t base, uint32_t bytes, unsigned pieces, struct findings *f)
{
	struct virtio_gpu_resource_attach_backing *a = (void *)request;
	struct virtio_gpu_mem_entry *entries = (void *)(a + 1);
	*a = (struct virtio_gpu_resource_attach_backing){ header(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING), id, pieces };
	uint32_t at = 0;
	for (unsigned i = 0; i < pieces; i++) {
		uint32_t length = i + 1 == pieces ? bytes - at : bytes / pieces + 3 * i + 1;
		entries[i] = (struct virtio_gpu_mem_entry){ base + at, length, 0 };
		at += length;
	}
	return command(g, request, sizeof(*a) + pieces * sizeof(*entries), sizeof(struct virtio_gpu_ctrl_hdr), f);
}

static uint32_t transfer(struct gpu *g, uint32_t id, struct virtio_gpu_rect r, uint32_t stride, struct findings *f)
{
	struct virtio_gpu_transfer_to_host_2d t = { header(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D), r, (uint64_t)r.y * stride + r.x * 4, id, 0 };
	return SEND(g, t, f);
}

static uint32_t flush(struct gpu *g, uint32_t id, struct virtio_gpu_rect r, struct virtio_gpu_ctrl_hdr hdr, struct findings *f)
{
	hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH;
	struct virtio_gpu_resource_flush fl = { hdr, r, id, 0 };
	return SEND(g, fl, f);
}

static uint32_t set_scanout(struct gpu *g, uint32_t scanout, uint32_t id, struct virtio_gpu_rect r, struct findings *f)
{
	struct virtio_gpu_set_scanout s = { header(VIRTIO_GPU_CMD_SET_SCANOUT), r, scanout, id };
	return SEND(g, s, f);
}

static bool display_info(struct gpu *g, uint32_t want_w, uint32_t want_h, struct findings *f)
{
	struct virtio_gpu_ctrl_hdr get = header(VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	struct virtio_gpu_resp_display_info *info = (void *)&response;
	if (!expect(command(g, &get, sizeof(get), sizeof(*info), f), VIRTIO_GPU_RESP_OK_DISPLAY_INFO, "GET_DISPLAY_INFO", f))
		return false;
	g->width = info->pmodes[0].r.width;
	g->height = info->pmodes[0].r.height;
	found(f, ", mode %ux%u%s", g->width, g->height, info->pmodes[0].enabled ? "" : " disabled");
	if (!info->pmodes[0].enabled)
		return problem(f, "scanout 0 is not enabled");
	if (want_w && (g->width != want_w || g->height != want_h))
		return problem(f, "expected %ux%u", want_w, want_h);
	if (g->width < 16 || g->height < 16 || g->width > GPU_MAX_WIDTH || g->height > GPU_MAX_HEIGHT)
		return problem(f, "the guest draws modes from 16x16 to %ux%u", GPU_MAX_WIDTH, GPU_MAX_HEIGHT);
	return true;
}

/* The EDID's base block: header, checksum, and the first detailed timing's active size is the mode. */
static bool edid(struct gpu *g, struct findings *f)
{
	struct virtio_gpu_cmd_get_edid get = { header(VIRTIO_GPU_CMD_GET_EDID), 0, 0 };
	if (!expect(command(g, &get, sizeof(get), sizeof(response), f), VIRTIO_GPU_RESP_OK_EDID, "GET_EDID", f))
		return false;
	const uint8_t *e = response.edid;
	static const uint8_t magic[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	uint8_t sum = 0;
	for (unsigned i = 0; i < 128; i++)
		sum += e[i];
	uint32_t w = e[56] | (e[58] >> 4) << 8, h = e[59] | (e[61] >> 4) << 8;
	found(f, ", edid %u bytes %ux%u", response.size, w, h);
	if (response.size < 128 || response.size > sizeof(response.edid) || response.size % 128 != 0)
		return problem(f, "EDID size %u", response.size);
	if (memcmp(e, magic, 8) != 0 || sum != 0)
		return problem(f, "EDID block 0 has a bad header or checksum");
	if (w != g->width || h != g->height)
		return problem(f, "the EDID's preferred timing is %ux%u", w, h);
	return true;
}

static bool draw(struct gpu *g, struct findings *f)
{
	uint32_t w = g->width, h = g->height, bytes = w * h * 4;
	struct virtio_gpu_rect all = { 0, 0, w, h };
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			frame[y * w + x] = 0xa5000000u | pattern(x, y, w, h);
	if (!create(g, GPU_FRAME_ID, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, w, h, VIRTIO_GPU_RESP_OK_NODATA, f) ||
	    !expect(attach(g, GPU_FRAME_ID, (uintptr_t)frame, bytes, 4, f), VIRTIO_GPU_RESP_OK_NODATA, "ATTACH_BACKING", f) ||
	    !expect(transfer(g, GPU_FRAME_ID, all, w * 4, f), VIRTIO_GPU_RESP_OK_NODATA, "TRANSFER_TO_HOST_2D", f) ||
	    !expect(set_scanout(g, 0, GPU_FRAME_ID, all, f), VIRTIO_GPU_RESP_OK_NODATA, "SET_SCANOUT", f))
		return false;
	struct virtio_gpu_ctrl_hdr fenced = { .flags = VIRTIO_GPU_FLAG_FENCE, .fence_id = GPU_FENCE };
	if (!expect(flush(g, GPU_FRAME_ID, all, fenced, f), VIRTIO_GPU_RESP_OK_NODATA, "RESOURCE_FLUSH", f))
		return false;
	if (!(response.hdr.flags & VIRTIO_GPU_FLAG_FENCE) || response.hdr.fence_id != GPU_FENCE)
		return problem(f, "fenced RESOURCE_FLUSH answered with flags 0x%x fence %lu", response.hdr.flags, response.hdr.fence_id);
	found(f, ", drawn, fence %lu", response.hdr.fence_id);

	struct virtio_gpu_rect r;
	sub_rect(w, h, &r);
	for (uint32_t y = r.y; y < r.y + r.height; y++)
		for (uint32_t x = r.x; x < r.x + r.width; x++)
			frame[y * w + x] = 0xa5000000u | sub_pattern(x, y, &r);
	if (!expect(transfer(g, GPU_FRAME_ID, r, w * 4, f), VIRTIO_GPU_RESP_OK_NODATA, "TRANSFER_TO_HOST_2D of the rectangle", f) ||
	    !expect(flush(g, GPU_FRAME_ID, r, header(0), f), VIRTIO_GPU_RESP_OK_NODATA, "RESOURCE_FLUSH of the rectangle", f))
		return false;
	found(f, ", rectangle %ux%u at %u,%u", r.width, r.height, r.x, r.y);
	return true;
}

/*
 * A cursor request: on the cursor queue, no response. It asks for an interrupt too, counted with the
 * control queue's (they share the device's interrupt), so that every interrupt is accounted for.
 */
static bool cursor_command(struct gpu *g, const struct virtio_gpu_update_cursor *c, struct findings *f)
{
	struct virtq_buffer b = { c, sizeof(*c), false };
	virtq_want_interrupts(&g->cursor.vq, true);
	int head = virtq_add(&g->cursor.vq, &b, 1, false);
	if (head < 0)
		return problem(f, "no room in the cursor queue");
	if (virtq_publish(&g->cursor.vq))
		virtio_notify(g->dev, 1);
	uint32_t used, written;
	if (!virtio_wait_used(&g->cursor, &used, &written))
		return problem(f, "cursor command 0x%x: not used within %u ms", c->hdr.type, VIRTIO_REQUEST_TIMEOUT_US / 1000);
	if (used != (uint32_t)head)
		return problem(f, "cursor queue: used head %u, expected %d", used, head);
	g->control.expected_interrupts++;
	uint64_t deadline = tsc_deadline_us(VIRTIO_INTERRUPT_TIMEOUT_US);
	while (g->dev->used_interrupts < g->control.expected_interrupts)
		if (tsc_passed(deadline))
			return problem(f, "cursor command 0x%x: used, but no interrupt", c->hdr.type);
	return true;
}

static bool cursor(struct gpu *g, struct findings *f)
{
	struct virtio_gpu_rect all = { 0, 0, GPU_CURSOR_SIDE, GPU_CURSOR_SIDE };
	for (uint32_t y = 0; y < GPU_CURSOR_SIDE; y++)
		for (uint32_t x = 0; x < GPU_CURSOR_SIDE; x++)
			cursor_image[y * GPU_CURSOR_SIDE + x] = (x < y ? 0xff000000u : 0) | x * 4 << 16 | y * 4;
	if (!create(g, GPU_CURSOR_ID, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, GPU_CURSOR_SIDE, GPU_CURSOR_SIDE, VIRTIO_GPU_RESP_OK_NODATA, f) ||
	    !expect(attach(g, GPU_CURSOR_ID, (uintptr_t)cursor_image, sizeof(cursor_image), 1, f), VIRTIO_GPU_RESP_OK_NODATA, "ATTACH_BACKING of the cursor", f) ||
	    !expect(transfer(g, GPU_CURSOR_ID, all, GPU_CURSOR_SIDE * 4, f), VIRTIO_GPU_RESP_OK_NODATA, "TRANSFER_TO_HOST_2D of the cursor", f))
		return false;
	struct virtio_gpu_update_cursor update = { header(VIRTIO_GPU_CMD_UPDATE_CURSOR), { 0, 100, 100, 0 }, GPU_CURSOR_ID, 1, 1, 0 };
	struct virtio_gpu_update_cursor move = { header(VIRTIO_GPU_CMD_MOVE_CURSOR), { 0, 200, 150, 0 }, 0, 0, 0, 0 };
	if (!cursor_command(g, &update, f) || !cursor_command(g, &move, f))
		return false;
	found(f, ", cursor 64x64 moved to 200,150");
	return true;
}

/* Hostile commands: each must get its error (backing outside RAM: QEMU says UNSPEC, Glue INVALID_PARAMETER). */
static bool hostile(struct gpu *g, struct findings *f)
{
	struct virtio_gpu_ctrl_hdr unknown = header(0x0999);
	struct virtio_gpu_rect beyond = { g->width - 1, 0, 2, 1 }, one = { 0, 0, 1, 1 };
	if (!create(g, 0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 16, 16, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, f) ||
	    !expect(SEND(g, unknown, f), VIRTIO_GPU_RESP_ERR_UNSPEC, "an unknown command", f) ||
	    !expect(transfer(g, GPU_FRAME_ID, beyond, g->width * 4, f), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, "a transfer beyond the resource", f) ||
	    !expect(flush(g, 77, one, header(0), f), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, "a flush of resource 77", f) ||
	    !expect(set_scanout(g, 15, GPU_FRAME_ID, one, f), VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, "scanout 15", f) ||
	    !create(g, GPU_SCRATCH_ID, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 16384, 16384, VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, f) ||
	    !create(g, GPU_SCRATCH_ID, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 16, 16, VIRTIO_GPU_RESP_OK_NODATA, f))
		return false;
	uint32_t outside = attach(g, GPU_SCRATCH_ID, 0x700000000000ull, 0x10000, 1, f);
	if (outside == 0)
		return false;
	found(f, ", backing outside RAM 0x%x", outside);
	if (outside != VIRTIO_GPU_RESP_ERR_UNSPEC && outside != VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER)
		return problem(f, "backing outside RAM: response 0x%x, expected an error", outside);
	struct virtio_gpu_resource_unref unref = { header(VIRTIO_GPU_CMD_RESOURCE_UNREF), GPU_SCRATCH_ID, 0 };
	if (!expect(SEND(g, unref, f), VIRTIO_GPU_RESP_OK_NODATA, "RESOURCE_UNREF", f))
		return false;
	found(f, ", 7 hostile commands refused");
	return true;
}

static void drive(struct gpu *g, uint32_t want_w, uint32_t want_h, struct findings *f)
{
	struct virtio_device *d = g->dev;
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX | VIRTIO_GPU_F_EDID, f))
		return;
	uint32_t scanouts = virtio_config32(d, VIRTIO_GPU_CONFIG_NUM_SCANOUTS);
	found(f, "%s%s, %u scanouts", d->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "", d->features & VIRTIO_GPU_F_EDID ? " edid" : "",
	      scanouts);
	if (scanouts < 1 || scanouts > VIRTIO_GPU_MAX_SCANOUTS) {
		problem(f, "num_scanouts must be 1 to 16");
		return;
	}
	g->cursor = (struct virtio_channel){ .dev = d, .queue = 1 };
	if (!virtio_setup_queue(d, 1, &g->cursor.vq, cursor_ring, f) || !virtio_channel_open(&g->control, d, 0, control_ring, f) ||
	    !virtio_driver_ok(d, f))
		return;
	if (!display_info(g, want_w, want_h, f) || (d->features & VIRTIO_GPU_F_EDID && !edid(g, f)) || !draw(g, f) || !cursor(g, f) ||
	    !hostile(g, f))
		return;
	found(f, ", %u commands", g->commands);
	virtio_check_interrupts(&g->control, f);
}

/*
 * glue.gpu-flushes=<n> (the bench's display case): the hold is spent redrawing the rectangle n times at even
 * intervals, each announced by a `GLUE-GPU-FLUSH <i>` line just before its transfer and flush, so that the host can
 * time the guest's flush to its VNC client's update.
 */
static void flush_rounds(struct gpu *g, uint64_t hold_ms, struct findings *f)
{
	const char *v, *end;
	uint64_t rounds;
	if (!cmdline_key("glue.gpu-flushes=", &v, &end) || !cmdline_numbers(v, end, &rounds, 1) || rounds == 0) {
		uint64_t deadline = tsc_deadline_us(hold_ms * 1000);
		while (!tsc_passed(deadline) && !serial_byte_received())
			cpu_relax();
		return;
	}
	struct virtio_gpu_rect r;
	sub_rect(g->width, g->height, &r);
	for (uint64_t i = 0; i < rounds; i++) {
		tsc_delay_us(hold_ms * 1000 / rounds);
		for (uint32_t y = r.y; y < r.y + r.height; y++)
			for (uint32_t x = r.x; x < r.x + r.width; x++)
				frame[y * g->width + x] ^= 0x00ffffffu;
		kprintf("GLUE-GPU-FLUSH %lu\n", i);
		if (transfer(g, GPU_FRAME_ID, r, g->width * 4, f) != VIRTIO_GPU_RESP_OK_NODATA ||
		    flush(g, GPU_FRAME_ID, r, header(0), f) != VIRTIO_GPU_RESP_OK_NODATA) {
			kprintf("GLUE-GPU-FLUSH failed\n");
			return;
		}
	}
}

void test_gpu(void)
{
	const char *v, *end;
	if (!cmdline_key("glue.gpu=", &v, &end))
		return;
	struct findings f = { 0 };
	uint64_t mode[2] = { 0, 0 }, hold = 0;
	const char *x = v, *colon = v;
	while (x < end && *x != 'x')
		x++;
	while (colon < end && *colon != ':')
		colon++;
	struct gpu g = { .dev = virtio_find(VIRTIO_ID_GPU, 0) };
	if (x >= colon || !parse_number(v, x, &mode[0]) || !parse_number(x + 1, colon, &mode[1]) ||
	    (colon < end && (!parse_number(colon + 1, end, &hold) || hold > GPU_HOLD_MAX_MS))) {
		problem(&f, "glue.gpu is not <width>x<height>[:<hold ms up to %u>]", GPU_HOLD_MAX_MS);
	} else if (!g.dev) {
		problem(&f, "no GPU device among %u virtio devices", virtio_device_count);
	} else {
		found(&f, "0x%lx irq %u", (uint64_t)g.dev->base, g.dev->irq);
		drive(&g, (uint32_t)mode[0], (uint32_t)mode[1], &f);
	}
	test_report_findings("gpu", &f);
	if (g.dev) {
		flush_rounds(&g, hold, &f);
		virtio_reset(g.dev);
	}
}
