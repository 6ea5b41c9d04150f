/*
 * rng: with glue.rng=1, the first entropy device (virtio 1.2, 5.4) gives 1 MiB through its one
 * queue: requests of up to 64 KiB as chains of 16 KiB device-writable buffers, every other one
 * through an indirect descriptor when VIRTIO_F_INDIRECT_DESC is negotiated. PASS if exactly 1 MiB came,
 * no request got more than it offered, all 256 byte values occur, no chunk starts like the one before,
 * and every request brought exactly one interrupt. With glue.rng=0 there must be no entropy device.
 */
#include "report.h"
#include "tests.h"
#include "virtio_request.h"

#define RNG_TOTAL (1u << 20)
#define RNG_CHUNK (64u << 10)
#define RNG_PIECE (16u << 10)
#define RNG_MAX_REQUESTS 4096 /* a device may give less than asked, but not forever */
#define RNG_COMPARE_BYTES 64

static uint8_t ring_memory[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t chunks[2][RNG_CHUNK] __attribute__((aligned(4096)));

static void read_entropy(struct virtio_device *d, struct findings *f)
{
	struct virtio_channel c;
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC, f))
		return;
	found(f, "%s%s", d->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "",
	      d->features & VIRTIO_F_INDIRECT_DESC ? " indirect" : "");
	if (!virtio_channel_open(&c, d, 0, ring_memory, f) || !virtio_driver_ok(d, f))
		return;

	uint32_t total = 0, requests = 0, indirect_requests = 0, previous = 0;
	bool seen[256] = { false };
	while (total < RNG_TOTAL && requests < RNG_MAX_REQUESTS) {
		uint8_t *buffer = chunks[requests % 2], *before = chunks[(requests + 1) % 2];
		uint32_t want = RNG_TOTAL - total < RNG_CHUNK ? RNG_TOTAL - total : RNG_CHUNK;
		memset(buffer, 0, want);
		struct virtq_buffer pieces[RNG_CHUNK / RNG_PIECE];
		unsigned n = 0;
		for (uint32_t offset = 0; offset < want; offset += RNG_PIECE)
			pieces[n++] = (struct virtq_buffer){ buffer + offset, want - offset < RNG_PIECE ? want - offset : RNG_PIECE, true };
		bool indirect = c.vq.indirect && requests % 2 == 1;

		uint32_t written;
		if (!virtio_request(&c, pieces, n, indirect, &written, f))
			break;
		requests++;
		indirect_requests += indirect;
		if (written > want) {
			problem(f, "request %u: used length %u for %u bytes offered", requests, written, want);
			break;
		}
		for (uint32_t i = 0; i < written; i++)
			seen[buffer[i]] = true;
		if (written >= RNG_COMPARE_BYTES && previous >= RNG_COMPARE_BYTES &&
		    memcmp(buffer, before, RNG_COMPARE_BYTES) == 0) {
			problem(f, "request %u: the same first %u bytes as the one before", requests, RNG_COMPARE_BYTES);
			break;
		}
		previous = written;
		total += written;
	}

	uint32_t distinct = 0;
	for (unsigned v = 0; v < 256; v++)
		distinct += seen[v];
	found(f, ", queue size %u: %u bytes in %u requests (%u indirect), %u distinct byte values", c.vq.size, total,
	      requests, indirect_requests, distinct);
	if (total != RNG_TOTAL)
		problem(f, "expected %u bytes", RNG_TOTAL);
	else if (distinct != 256)
		problem(f, "expected all 256 byte values in 1 MiB of entropy");
	virtio_check_interrupts(&c, f);
}

void test_rng(const struct options *options)
{
	if (options->rng == EXPECT_UNSTATED)
		return;
	struct findings f = { 0 };
	struct virtio_device *d = virtio_find(VIRTIO_ID_ENTROPY, 0);
	if (options->rng == EXPECT_INVALID) {
		problem(&f, "glue.rng is not 1 or 0");
	} else if (!d) {
		found(&f, "no entropy device among %u virtio devices", virtio_device_count);
		if (options->rng == EXPECT_PRESENT)
			problem(&f, "expected one (glue.rng=1)");
	} else {
		found(&f, "%s", d->location);
		if (options->rng == EXPECT_ABSENT)
			problem(&f, "expected none (glue.rng=0)");
		else
			read_entropy(d, &f);
		virtio_reset(d);
	}
	test_report_findings("rng", &f);
}
