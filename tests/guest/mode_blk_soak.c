/*
 * glue.mode=blk-soak: verified block I/O on block device 0, forever, for the host's crash, stop and
 * pause/resume tests. Round n writes 4 KiB of the pattern for seed GLUE_SOAK_SEED + n (test_blk.c's
 * pattern, counted from the disk's start) to slot n % slots (slot s is sectors 8s..8s+7; slots is the
 * capacity in 4 KiB, at most 64), FLUSHes it, reads it back and compares; before overwriting a slot it
 * checks that the slot still holds the round that last wrote it. Only then does it print
 *     GLUE-BLK-SOAK <n> sector <first sector> seed <seed>
 * so a line means: that write is flushed and everything before it read back as written. At most one
 * round per 2 ms. The first problem prints `GLUE-BLK-SOAK FAIL <problem>` and ends the VM.
 */
#include "blk_pattern.h"
#include "report.h"
#include "serial.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

#define SOAK_SLOT_SECTORS 8
#define SOAK_SLOTS_MAX 64
#define SOAK_PERIOD_US 2000
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

struct __attribute__((packed)) soak_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static uint8_t soak_ring[VIRTQ_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint8_t soak_data[SOAK_SLOT_SECTORS * BLK_PATTERN_SECTOR] __attribute__((aligned(4096)));
static struct soak_header soak_request;
static uint8_t soak_status;

static NORETURN void soak_fail(const struct findings *f)
{
	kprintf("GLUE-BLK-SOAK FAIL %s%s\n", f->found, f->problem);
	tests_finish();
}

static void soak_io(struct virtio_channel *c, uint32_t type, uint64_t sector, struct findings *f)
{
	soak_request = (struct soak_header){ .type = type, .sector = sector };
	soak_status = 0xff;
	struct virtq_buffer b[3];
	unsigned n = 0;
	b[n++] = (struct virtq_buffer){ &soak_request, sizeof(soak_request), false };
	if (type != VIRTIO_BLK_T_FLUSH)
		b[n++] = (struct virtq_buffer){ soak_data, sizeof(soak_data), type == VIRTIO_BLK_T_IN };
	b[n++] = (struct virtq_buffer){ &soak_status, 1, true };
	uint32_t written;
	if (!virtio_request(c, b, n, false, &written, f))
		soak_fail(f);
	if (soak_status != 0) {
		problem(f, "request type %u at sector %lu: status %u", type, sector, soak_status);
		soak_fail(f);
	}
}

static void soak_read_check(struct virtio_channel *c, uint64_t sector, uint32_t seed, struct findings *f)
{
	soak_io(c, VIRTIO_BLK_T_IN, sector, f);
	if (!blk_check_pattern(f, soak_data, seed, sector, sizeof(soak_data)))
		soak_fail(f);
}

NORETURN void run_blk_soak(const struct options *options)
{
	struct findings f = { 0 };
	virtio_discover(options, &f);
	struct virtio_device *d = virtio_find(VIRTIO_ID_BLOCK, 0);
	if (!d) {
		problem(&f, "no block device");
		soak_fail(&f);
	}
	struct virtio_channel c;
	if (!virtio_start(d, VIRTIO_BLK_F_FLUSH, &f) || !virtio_channel_open(&c, d, 0, soak_ring, &f) || !virtio_driver_ok(d, &f))
		soak_fail(&f);
	uint64_t slots = virtio_config64(d, 0) / SOAK_SLOT_SECTORS;
	if (slots > SOAK_SLOTS_MAX)
		slots = SOAK_SLOTS_MAX;
	if (slots == 0) {
		problem(&f, "the disk is smaller than %u sectors", SOAK_SLOT_SECTORS);
		soak_fail(&f);
	}
	uint64_t period = tsc_hz() / 1000000 * SOAK_PERIOD_US;
	uint64_t next = rdtsc();
	for (uint64_t n = 0;; n++) {
		uint64_t sector = (n % slots) * SOAK_SLOT_SECTORS;
		uint32_t seed = GLUE_SOAK_SEED + (uint32_t)n;
		if (n >= slots)
			soak_read_check(&c, sector, seed - (uint32_t)slots, &f);
		blk_fill_pattern(soak_data, seed, sector, sizeof(soak_data));
		soak_io(&c, VIRTIO_BLK_T_OUT, sector, &f);
		soak_io(&c, VIRTIO_BLK_T_FLUSH, 0, &f);
		soak_read_check(&c, sector, seed, &f);
		kprintf("GLUE-BLK-SOAK %lu sector %lu seed %u\n", n, sector, seed);
		next += period;
		if (tsc_passed(next + period)) /* the VM was paused: carry on without a burst */
			next = rdtsc();
		while (!tsc_passed(next))
			cpu_relax();
	}
}
