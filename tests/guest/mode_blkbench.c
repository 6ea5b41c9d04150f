/*
 * glue.mode=blkbench: read and write throughput of the first block device, timed with the TSC, polling
 * the used ring (the queue asks for no interrupts), through the driver API only (virtio_mmio.h, virtio_request.h):
 *   GLUE-BENCH blk seq <ticks> for <n> MiB in 1 MiB reads at qd 1; rand qd1 <ticks> qd32 <ticks> for <r> 4 KiB reads each;
 *     writes seq <ticks> for <n> MiB rand qd1 <ticks> qd32 <ticks> for <w> 4 KiB writes each; tsc <hz> Hz (<source>)
 * glue.blkbench=<MiB>:<reads>:<seed>[:<write MiB>:<writes>] sets how much is read (default 256 MiB sequential,
 * wrapping at the disk's end, and 20000 random 4 KiB reads at each depth), the pattern seed the disk holds
 * (test_blk.c's pattern), and how much is written the same ways (default nothing; the writes part of the line
 * then says 0s). Writes come first and write the pattern back where it belongs (filled in the buffer before each
 * is queued, a cost in the figure that the reads do not have), so the disk holds the same bytes after a run and
 * the reads after them check the first word of every read against it: the data is real both ways.
 * A problem prints `GLUE-BENCH blk FAIL ...`. No tests run; the VM ends as after them.
 */
#include "blk_pattern.h"
#include "cmdline_key.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

/* Block request types, status and config (virtio 1.2, 5.2.4, 5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_CONFIG_CAPACITY 0
#define SECTOR_BYTES 512
#define SEQ_BYTES (1u << 20)
#define RAND_BYTES 4096u
#define DEPTH_MAX 32
#define PATTERN_STEP 0x9e3779b1u

struct __attribute__((packed)) blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static uint8_t ring_memory[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static struct {
	struct blk_header header;
	uint8_t status;
} slots[DEPTH_MAX];
/* 1 MiB: the sequential read's buffer, or DEPTH_MAX random reads' 4 KiB each. */
static uint8_t data[SEQ_BYTES] __attribute__((aligned(4096)));

struct run {
	struct virtio_channel *c;
	uint64_t capacity; /* sectors */
	uint32_t seed;
	uint64_t rng;      /* xorshift64 state for the random offsets */
	struct findings *f;
};

static uint64_t next_sector(struct run *r, bool random, uint32_t bytes, uint64_t *seq)
{
	uint64_t span = r->capacity / (bytes / SECTOR_BYTES);
	if (!random) {
		uint64_t s = *seq % span;
		(*seq)++;
		return s * (bytes / SECTOR_BYTES);
	}
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng % span * (bytes / SECTOR_BYTES);
}

/*
 * `count` reads (or writes of the pattern) of `bytes`, up to `depth` in flight; returns the TSC ticks they took,
 * or 0 on a problem.
 */
static uint64_t transfers(struct run *r, unsigned depth, uint32_t bytes, bool random, uint64_t count, bool write)
{
	const char *what = write ? "write" : "read";
	struct virtq *vq = &r->c->vq;
	int slot_of_head[VIRTQ_MAX_SIZE];
	unsigned free_slots[DEPTH_MAX], nfree = 0;
	for (unsigned i = depth; i-- > 0;)
		free_slots[nfree++] = i;
	uint64_t issued = 0, done = 0, seq = 0;
	uint64_t start = rdtsc();
	while (done < count) {
		for (; issued < count && nfree > 0; issued++) {
			unsigned s = free_slots[--nfree];
			slots[s].header = (struct blk_header){ .type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
							       .sector = next_sector(r, random, bytes, &seq) };
			slots[s].status = 0xff;
			if (write)
				blk_fill_pattern(data + s * bytes, r->seed, slots[s].header.sector, bytes);
			struct virtq_buffer b[3] = {
				{ &slots[s].header, sizeof(slots[s].header), false },
				{ data + s * bytes, bytes, !write },
				{ &slots[s].status, 1, true },
			};
			int head = virtq_add(vq, b, 3, false);
			if (head < 0)
				return problem(r->f, "no room in the queue at %lu in flight", issued - done), 0;
			slot_of_head[head] = (int)s;
		}
		if (virtq_publish(vq))
			virtio_notify(r->c->dev, r->c->queue);
		uint32_t head, written;
		if (!virtio_wait_used(r->c, &head, &written))
			return problem(r->f, "%s %lu: no used buffer within %u ms", what, done, VIRTIO_REQUEST_TIMEOUT_US / 1000), 0;
		do {
			unsigned s = (unsigned)slot_of_head[head];
			uint64_t word = slots[s].header.sector * SECTOR_BYTES / 4;
			uint32_t first = *(volatile uint32_t *)(data + s * bytes);
			if (slots[s].status != VIRTIO_BLK_S_OK || written != (write ? 1 : bytes + 1))
				return problem(r->f, "%s at sector %lu: status %u, used length %u", what, slots[s].header.sector,
					       slots[s].status, written), 0;
			if (!write && first != r->seed + (uint32_t)word * PATTERN_STEP)
				return problem(r->f, "read at sector %lu: first word 0x%x, not the pattern's", slots[s].header.sector,
					       first), 0;
			free_slots[nfree++] = s;
			done++;
		} while (virtq_get_used(vq, &head, &written));
	}
	return rdtsc() - start;
}

static void bench(const struct options *options, const uint64_t *n, struct findings *f)
{
	uint64_t mib = n[0], count = n[1], write_mib = n[3], write_count = n[4];
	virtio_discover(options, f);
	struct virtio_device *d = virtio_find(VIRTIO_ID_BLOCK, 0);
	if (!d) {
		problem(f, "no block device among %u virtio devices", virtio_device_count);
		return;
	}
	struct virtio_channel c;
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX, f) || !virtio_channel_open(&c, d, 0, ring_memory, f) ||
	    !virtio_driver_ok(d, f))
		return;
	virtq_want_interrupts(&c.vq, false);
	struct run r = { .c = &c, .capacity = virtio_config64(d, VIRTIO_BLK_CONFIG_CAPACITY), .seed = (uint32_t)n[2],
			 .rng = 0x9e3779b97f4a7c15ull, .f = f };
	if (r.capacity < SEQ_BYTES / SECTOR_BYTES) {
		problem(f, "the disk has %lu sectors, fewer than 1 MiB", r.capacity);
		return;
	}
	uint64_t w[3] = { 0 };
	bool wrote = write_mib == 0 ||
		     ((w[0] = transfers(&r, 1, SEQ_BYTES, false, write_mib, true)) &&
		      (w[1] = transfers(&r, 1, RAND_BYTES, true, write_count, true)) &&
		      (w[2] = transfers(&r, DEPTH_MAX, RAND_BYTES, true, write_count, true)));
	uint64_t seq = wrote ? transfers(&r, 1, SEQ_BYTES, false, mib, false) : 0;
	uint64_t qd1 = seq ? transfers(&r, 1, RAND_BYTES, true, count, false) : 0;
	uint64_t qd32 = qd1 ? transfers(&r, DEPTH_MAX, RAND_BYTES, true, count, false) : 0;
	virtio_reset(d);
	if (qd32)
		kprintf("GLUE-BENCH blk seq %lu for %lu MiB in 1 MiB reads at qd 1; rand qd1 %lu qd32 %lu for %lu 4 KiB reads each; "
			"writes seq %lu for %lu MiB rand qd1 %lu qd32 %lu for %lu 4 KiB writes each; tsc %lu Hz (%s)\n",
			seq, mib, qd1, qd32, count, w[0], write_mib, w[1], w[2], write_count, tsc_hz(), tsc_hz_source());
}

NORETURN void run_blkbench(const struct options *options)
{
	uint64_t n[5] = { 256, 20000, 0, 0, 0 };
	const char *v, *end;
	struct findings f = { 0 };
	if (cmdline_key("glue.blkbench=", &v, &end) &&
	    (!(cmdline_numbers(v, end, n, 5) || cmdline_numbers(v, end, n, 3)) || n[0] == 0 || n[1] == 0 ||
	     n[2] > UINT32_MAX || (n[3] == 0) != (n[4] == 0)))
		problem(&f, "glue.blkbench= takes <MiB>:<reads>:<seed>[:<write MiB>:<writes>]");
	else
		bench(options, n, &f);
	if (f.problem[0])
		kprintf("GLUE-BENCH blk FAIL %s\n", f.problem);
	vm_exit(!f.problem[0]);
}
