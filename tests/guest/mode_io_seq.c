/*
 * glue.mode=io-seq: block device 0 and entropy device 0 kept busy at once, polled, for the host's snapshot taken in
 * the middle of their I/O (tests/build/SnapshotTests.cs). Up to IO_SEQ_BLK_DEPTH writes and IO_SEQ_RNG_DEPTH entropy
 * requests are in flight at any time. Write n puts the blk pattern for seed IO_SEQ_SEED + n in slot n % IO_SEQ_SLOTS
 * (slot s is sectors 8s..8s+7), never while another write to that slot is in flight. Every head a device returns
 * must be one in flight (else a request came back twice, or one never made), every request must come back within
 * IO_SEQ_LOST_US (else it was lost), and an entropy request gets no more than it offered. Every 256 writes it prints
 *     GLUE-IO-SEQ <writes done> rng <entropy requests done>
 * glue.io-seq=<writes> (default 20000): after that many it reads every slot back, which must hold its last write, and
 * prints `GLUE-IO-SEQ PASS <writes> writes, <n> entropy requests` or `GLUE-IO-SEQ FAIL <problem>`; then the VM ends.
 */
#include "blk_pattern.h"
#include "cmdline_key.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

#define IO_SEQ_SEED 0x10000000u
#define IO_SEQ_SLOTS 64
#define IO_SEQ_SLOT_SECTORS 8
#define IO_SEQ_SLOT_BYTES (IO_SEQ_SLOT_SECTORS * BLK_PATTERN_SECTOR)
#define IO_SEQ_BLK_DEPTH 16
#define IO_SEQ_RNG_DEPTH 8
#define IO_SEQ_RNG_BYTES 64
#define IO_SEQ_LOST_US 10000000 /* a loaded software KVM host may not run an I/O thread for seconds */
/* Block request types and status (virtio 1.2, 5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_S_OK 0

struct __attribute__((packed)) io_seq_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* One request of either device: what it was, and whether its head is out with the device. */
struct io_seq_request {
	struct io_seq_header header;
	uint8_t status;
	bool in_flight;
	uint64_t n;
};

static uint8_t blk_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t rng_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t blk_data[IO_SEQ_BLK_DEPTH][IO_SEQ_SLOT_BYTES] __attribute__((aligned(4096)));
static uint8_t rng_data[IO_SEQ_RNG_DEPTH][IO_SEQ_RNG_BYTES];
static struct io_seq_request blk[IO_SEQ_BLK_DEPTH], rng[IO_SEQ_RNG_DEPTH];
static int blk_of_head[VIRTQ_MAX_SIZE], rng_of_head[VIRTQ_MAX_SIZE];
static bool slot_busy[IO_SEQ_SLOTS];
static uint64_t slot_last[IO_SEQ_SLOTS]; /* the last write to each slot that came back, plus 1 (0: none) */

static NORETURN void io_seq_fail(const struct findings *f)
{
	kprintf("GLUE-IO-SEQ FAIL %s\n", f->problem);
	vm_exit(false);
}

/* Queue 0 of the first device of that id, polled: the device is asked for no interrupts. */
static void open_device(struct virtio_channel *c, uint32_t id, void *ring, struct findings *f)
{
	struct virtio_device *d = virtio_find(id, 0);
	if (!d)
		problem(f, "no virtio device %u among %u", id, virtio_device_count), io_seq_fail(f);
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX, f) || !virtio_channel_open(c, d, 0, ring, f) || !virtio_driver_ok(d, f))
		io_seq_fail(f);
	virtq_want_interrupts(&c->vq, false);
}

static void add_write(struct virtio_channel *c, unsigned i, uint64_t n, struct findings *f)
{
	uint64_t sector = n % IO_SEQ_SLOTS * IO_SEQ_SLOT_SECTORS;
	blk[i] = (struct io_seq_request){ .header = { .type = VIRTIO_BLK_T_OUT, .sector = sector }, .status = 0xff, .in_flight = true, .n = n };
	blk_fill_pattern(blk_data[i], IO_SEQ_SEED + (uint32_t)n, sector, IO_SEQ_SLOT_BYTES);
	struct virtq_buffer b[3] = {
		{ &blk[i].header, sizeof(blk[i].header), false },
		{ blk_data[i], IO_SEQ_SLOT_BYTES, false },
		{ &blk[i].status, 1, true },
	};
	int head = virtq_add(&c->vq, b, 3, false);
	if (head < 0)
		problem(f, "write %lu: no room in the queue", n), io_seq_fail(f);
	blk_of_head[head] = (int)i;
	slot_busy[n % IO_SEQ_SLOTS] = true;
}

static void add_entropy(struct virtio_channel *c, unsigned i, uint64_t n, struct findings *f)
{
	rng[i] = (struct io_seq_request){ .in_flight = true, .n = n };
	struct virtq_buffer b = { rng_data[i], IO_SEQ_RNG_BYTES, true };
	int head = virtq_add(&c->vq, &b, 1, false);
	if (head < 0)
		problem(f, "entropy request %lu: no room in the queue", n), io_seq_fail(f);
	rng_of_head[head] = (int)i;
}

/* The request a used head names; fails unless it is one in flight. */
static struct io_seq_request *came_back(struct io_seq_request *requests, const int *of_head, uint32_t head,
					uint16_t size, const char *device, struct findings *f)
{
	if (head >= size || of_head[head] < 0 || !requests[of_head[head]].in_flight)
		problem(f, "%s used head %u, which is not in flight: a request came back twice, or one never made", device, head),
			io_seq_fail(f);
	struct io_seq_request *r = &requests[of_head[head]];
	r->in_flight = false;
	return r;
}

static void read_back(struct virtio_channel *c, uint64_t writes, struct findings *f)
{
	for (unsigned s = 0; s < IO_SEQ_SLOTS && s < writes; s++) {
		blk[0] = (struct io_seq_request){ .header = { .type = VIRTIO_BLK_T_IN, .sector = (uint64_t)s * IO_SEQ_SLOT_SECTORS }, .status = 0xff };
		struct virtq_buffer b[3] = {
			{ &blk[0].header, sizeof(blk[0].header), false },
			{ blk_data[0], IO_SEQ_SLOT_BYTES, true },
			{ &blk[0].status, 1, true },
		};
		uint32_t head, written;
		if (virtq_add(&c->vq, b, 3, false) < 0)
			problem(f, "reading slot %u: no room in the queue", s), io_seq_fail(f);
		if (virtq_publish(&c->vq))
			virtio_notify(c->dev, c->queue);
		if (!virtio_wait_used(c, &head, &written) || blk[0].status != VIRTIO_BLK_S_OK)
			problem(f, "reading slot %u: status %u", s, blk[0].status), io_seq_fail(f);
		uint64_t last = slot_last[s] - 1;
		if (!blk_check_pattern(f, blk_data[0], IO_SEQ_SEED + (uint32_t)last, blk[0].header.sector, IO_SEQ_SLOT_BYTES)) {
			kprintf("GLUE-IO-SEQ FAIL slot %u does not hold write %lu, its last: %s\n", s, last, f->problem);
			vm_exit(false);
		}
	}
}

NORETURN void run_io_seq(const struct options *options)
{
	struct findings f = { 0 };
	uint64_t total = 20000;
	const char *v, *end;
	if (cmdline_key("glue.io-seq=", &v, &end) && (!cmdline_numbers(v, end, &total, 1) || total == 0))
		problem(&f, "glue.io-seq= takes <writes>"), io_seq_fail(&f);
	virtio_discover(options, &f);
	struct virtio_channel disk, entropy_source;
	open_device(&disk, VIRTIO_ID_BLOCK, blk_ring, &f);
	open_device(&entropy_source, VIRTIO_ID_ENTROPY, rng_ring, &f);
	for (unsigned h = 0; h < VIRTQ_MAX_SIZE; h++)
		blk_of_head[h] = rng_of_head[h] = -1;

	uint64_t issued = 0, written = 0, entropy = 0, asked = 0;
	unsigned blk_in_flight = 0, rng_in_flight = 0;
	uint64_t progress = rdtsc(), lost = tsc_hz() / 1000000 * IO_SEQ_LOST_US;
	while (written < total) {
		for (unsigned i = 0; i < IO_SEQ_BLK_DEPTH && issued < total && !slot_busy[issued % IO_SEQ_SLOTS]; i++)
			if (!blk[i].in_flight)
				add_write(&disk, i, issued++, &f), blk_in_flight++;
		for (unsigned i = 0; i < IO_SEQ_RNG_DEPTH; i++)
			if (!rng[i].in_flight)
				add_entropy(&entropy_source, i, asked++, &f), rng_in_flight++;
		if (virtq_publish(&disk.vq))
			virtio_notify(disk.dev, disk.queue);
		if (virtq_publish(&entropy_source.vq))
			virtio_notify(entropy_source.dev, entropy_source.queue);

		uint32_t head, length;
		bool moved = false;
		while (virtq_get_used(&disk.vq, &head, &length)) {
			struct io_seq_request *w = came_back(blk, blk_of_head, head, disk.vq.size, "blk", &f);
			if (w->status != VIRTIO_BLK_S_OK)
				problem(&f, "write %lu: status %u", w->n, w->status), io_seq_fail(&f);
			slot_busy[w->n % IO_SEQ_SLOTS] = false;
			if (w->n + 1 > slot_last[w->n % IO_SEQ_SLOTS])
				slot_last[w->n % IO_SEQ_SLOTS] = w->n + 1;
			blk_in_flight--, written++, moved = true;
			if (written % 256 == 0)
				kprintf("GLUE-IO-SEQ %lu rng %lu\n", written, entropy);
		}
		while (virtq_get_used(&entropy_source.vq, &head, &length)) {
			struct io_seq_request *e = came_back(rng, rng_of_head, head, entropy_source.vq.size, "rng", &f);
			if (length > IO_SEQ_RNG_BYTES)
				problem(&f, "entropy request %lu: used length %u for %u bytes", e->n, length, IO_SEQ_RNG_BYTES), io_seq_fail(&f);
			rng_in_flight--, entropy++, moved = true;
		}
		if (moved)
			progress = rdtsc();
		else if (rdtsc() - progress > lost)
			problem(&f, "nothing came back for %u s with %u writes and %u entropy requests in flight: lost",
				IO_SEQ_LOST_US / 1000000, blk_in_flight, rng_in_flight), io_seq_fail(&f);
	}
	read_back(&disk, written, &f);
	kprintf("GLUE-IO-SEQ PASS %lu writes, %lu entropy requests\n", written, entropy);
	vm_exit(true);
}
