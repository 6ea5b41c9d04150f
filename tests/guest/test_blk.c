/*
 * blk<k>: with glue.blk<k>=<attributes>, block device k (the k-th in discovery order, from 0) is what
 * the attributes say (virtio 1.2, 5.2; README.md lists them):
 *   sectors:<n>                 the capacity is n 512-byte sectors
 *   ro                          VIRTIO_BLK_F_RO is offered (and without it, must not be), and a write
 *                               completes with VIRTIO_BLK_S_IOERR and changes nothing
 *   pattern:<seed>              the disk holds the pattern for seed (its first 4 MiB are read and compared)
 *   write:<sector>:<count>:<seed>   write the pattern for seed over those sectors, FLUSH, read them back
 *   id:<string>                 GET_ID returns the string
 * The pattern: the disk as little-endian 32-bit words, word j (bytes 4j..4j+3) = seed + j * 0x9e3779b1
 * mod 2^32, so every sector's bytes are their own. Requests alternate between a descriptor chain
 * and an indirect descriptor (when negotiated); a batch of reads with notifications suppressed must
 * bring no interrupt; every other request exactly one.
 */
#include "blk_pattern.h"
#include "format.h"
#include "report.h"
#include "tests.h"
#include "tsc.h"
#include "virtio_request.h"

/* Block device feature bits, request types and status values (5.2.3, 5.2.6). */
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_CONFIG_CAPACITY 0 /* u64, in 512-byte sectors */

#define SECTOR_BYTES 512
#define CHUNK_SECTORS 8 /* 4 KiB per request */
#define CHUNK_BYTES (CHUNK_SECTORS * SECTOR_BYTES)
#define PATTERN_CHECK_SECTORS 8192 /* the first 4 MiB */
#define BATCH 8
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
} requests[BATCH];
static uint8_t data[BATCH][CHUNK_BYTES] __attribute__((aligned(4096)));

static uint8_t pattern_byte(uint32_t seed, uint64_t offset)
{
	uint32_t word = seed + (uint32_t)(offset / 4) * PATTERN_STEP;
	return (uint8_t)(word >> (8 * (offset % 4)));
}

/* A word at a time (the bench's writes fill a buffer before each one), then any bytes of a last partial word. */
void blk_fill_pattern(uint8_t *buffer, uint32_t seed, uint64_t sector, uint32_t bytes)
{
	uint32_t i = 0, word = seed + (uint32_t)(sector * SECTOR_BYTES / 4) * PATTERN_STEP;
	for (; i + 4 <= bytes; i += 4, word += PATTERN_STEP)
		memcpy(buffer + i, &word, 4); /* little-endian, as pattern_byte reads it */
	for (; i < bytes; i++)
		buffer[i] = pattern_byte(seed, sector * SECTOR_BYTES + i);
}

bool blk_check_pattern(struct findings *f, const uint8_t *buffer, uint32_t seed, uint64_t sector, uint32_t bytes)
{
	for (uint32_t i = 0; i < bytes; i++) {
		uint64_t offset = sector * SECTOR_BYTES + i;
		if (buffer[i] != pattern_byte(seed, offset))
			return problem(f, "byte 0x%lx (sector %lu) is 0x%x, expected 0x%x", offset, offset / SECTOR_BYTES,
				       buffer[i], pattern_byte(seed, offset));
	}
	return true;
}

struct disk {
	struct virtio_channel c;
	uint64_t capacity;
	uint32_t indirect_requests;
	struct findings *f;
};

/*
 * One request: the header, `bytes` of data (none for FLUSH; device-writable but for OUT), the status
 * byte. Every other request goes through an indirect descriptor when the queue has them.
 */
static bool blk_request(struct disk *disk, uint32_t type, uint64_t sector, void *buffer, uint32_t bytes,
			uint8_t *status)
{
	requests[0].header = (struct blk_header){ .type = type, .sector = sector };
	requests[0].status = 0xff;
	struct virtq_buffer b[3];
	unsigned n = 0;
	b[n++] = (struct virtq_buffer){ &requests[0].header, sizeof(requests[0].header), false };
	if (bytes)
		b[n++] = (struct virtq_buffer){ buffer, bytes, type != VIRTIO_BLK_T_OUT };
	b[n++] = (struct virtq_buffer){ &requests[0].status, 1, true };
	bool indirect = disk->c.vq.indirect && disk->c.requests % 2 == 1;

	uint32_t written;
	if (!virtio_request(&disk->c, b, n, indirect, &written, disk->f))
		return false;
	disk->indirect_requests += indirect;
	*status = requests[0].status;
	/* The used length is what the device wrote: the data read, then the status byte (2.7.8.2). */
	uint32_t expected = (type == VIRTIO_BLK_T_IN && *status == VIRTIO_BLK_S_OK ? bytes : 0) + 1;
	if (type != VIRTIO_BLK_T_GET_ID && written != expected)
		return problem(disk->f, "request %u (type %u): used length %u, expected %u", disk->c.requests, type, written,
			       expected);
	return true;
}

static bool expect_status(struct disk *disk, const char *what, uint64_t sector, uint8_t status, uint8_t expected)
{
	if (status == expected)
		return true;
	return problem(disk->f, "%s at sector %lu: status %u, expected %u", what, sector, status, expected);
}

/* Reads [first, first + count) and compares it with the pattern for seed. */
static bool read_and_compare(struct disk *disk, uint64_t first, uint64_t count, uint32_t seed)
{
	for (uint64_t s = first; s < first + count; s += CHUNK_SECTORS) {
		uint32_t bytes = (uint32_t)((first + count - s < CHUNK_SECTORS ? first + count - s : CHUNK_SECTORS) * SECTOR_BYTES);
		uint8_t status;
		if (!blk_request(disk, VIRTIO_BLK_T_IN, s, data[0], bytes, &status) ||
		    !expect_status(disk, "read", s, status, VIRTIO_BLK_S_OK) || !blk_check_pattern(disk->f, data[0], seed, s, bytes))
			return false;
	}
	return true;
}

static bool check_id(struct disk *disk, const char *id)
{
	uint8_t status;
	memset(data[0], 0, BLK_ID_BYTES);
	if (!blk_request(disk, VIRTIO_BLK_T_GET_ID, 0, data[0], BLK_ID_BYTES, &status) ||
	    !expect_status(disk, "GET_ID", 0, status, VIRTIO_BLK_S_OK))
		return false;
	char got[BLK_ID_BYTES + 1] = { 0 };
	memcpy(got, data[0], BLK_ID_BYTES); /* NUL-terminated only if shorter than 20 bytes (5.2.6) */
	found(disk->f, ", id %s", got);
	if (strlen(got) != strlen(id) || memcmp(got, id, strlen(id)) != 0)
		return problem(disk->f, "GET_ID gave '%s', expected '%s'", got, id);
	return true;
}

static bool check_write(struct disk *disk, const struct blk_expect *e)
{
	if (e->write_sector + e->write_count > disk->capacity || e->write_sector + e->write_count < e->write_sector)
		return problem(disk->f, "write:%lu:%lu is past the capacity", e->write_sector, e->write_count);
	uint64_t end = e->write_sector + e->write_count;
	for (uint64_t s = e->write_sector; s < end; s += CHUNK_SECTORS) {
		uint32_t bytes = (uint32_t)((end - s < CHUNK_SECTORS ? end - s : CHUNK_SECTORS) * SECTOR_BYTES);
		uint8_t status;
		blk_fill_pattern(data[0], e->write_seed, s, bytes);
		if (!blk_request(disk, VIRTIO_BLK_T_OUT, s, data[0], bytes, &status) ||
		    !expect_status(disk, "write", s, status, VIRTIO_BLK_S_OK))
			return false;
	}
	found(disk->f, ", wrote %lu sectors at %lu", e->write_count, e->write_sector);
	if (disk->c.dev->features & VIRTIO_BLK_F_FLUSH) {
		uint8_t status;
		if (!blk_request(disk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &status) ||
		    !expect_status(disk, "flush", 0, status, VIRTIO_BLK_S_OK))
			return false;
		found(disk->f, ", flushed");
	} else {
		found(disk->f, ", no VIRTIO_BLK_F_FLUSH");
	}
	if (!read_and_compare(disk, e->write_sector, e->write_count, e->write_seed))
		return false;
	found(disk->f, " and read back");
	return true;
}

/* On a read-only disk a write fails with IOERR, and (if the pattern is known) sector 0 is unchanged. */
static bool check_read_only(struct disk *disk, const struct blk_expect *e)
{
	uint8_t status;
	blk_fill_pattern(data[0], ~e->pattern_seed, 0, SECTOR_BYTES);
	if (!blk_request(disk, VIRTIO_BLK_T_OUT, 0, data[0], SECTOR_BYTES, &status) ||
	    !expect_status(disk, "write to the read-only disk", 0, status, VIRTIO_BLK_S_IOERR))
		return false;
	found(disk->f, ", write refused with IOERR");
	return !e->pattern_given || read_and_compare(disk, 0, 1, e->pattern_seed);
}

/*
 * BATCH one-sector reads published together with notifications suppressed (used_event one behind,
 * or VIRTQ_AVAIL_F_NO_INTERRUPT without EVENT_IDX): the device must not interrupt for any of them.
 * The spec only says SHOULD NOT; an interrupt here still fails, as it means suppression is not done.
 */
static bool check_suppressed_batch(struct disk *disk, const struct blk_expect *e)
{
	struct virtq *vq = &disk->c.vq;
	uint32_t batch = vq->size / 3 < BATCH ? vq->size / 3 : BATCH; /* three descriptors each */
	if (disk->capacity < batch)
		batch = (uint32_t)disk->capacity;
	uint32_t before = disk->c.dev->used_interrupts;
	int heads[BATCH];
	virtq_want_interrupts(vq, false);
	for (uint32_t i = 0; i < batch; i++) {
		requests[i].header = (struct blk_header){ .type = VIRTIO_BLK_T_IN, .sector = i };
		requests[i].status = 0xff;
		struct virtq_buffer b[3] = {
			{ &requests[i].header, sizeof(requests[i].header), false },
			{ data[i], SECTOR_BYTES, true },
			{ &requests[i].status, 1, true },
		};
		heads[i] = virtq_add(vq, b, 3, false);
	}
	if (virtq_publish(vq))
		virtio_notify(disk->c.dev, disk->c.queue);
	for (uint32_t done = 0; done < batch; done++) {
		uint32_t head, written, i = 0;
		if (!virtio_wait_used(&disk->c, &head, &written))
			return problem(disk->f, "batch: %u of %u reads used after %u ms", done, batch,
				       VIRTIO_REQUEST_TIMEOUT_US / 1000);
		while (i < batch && heads[i] != (int)head)
			i++;
		if (i == batch)
			return problem(disk->f, "batch: used head %u is none of the batch's or came twice", head);
		heads[i] = -1;
	}
	disk->c.requests += batch;
	for (uint32_t i = 0; i < batch; i++)
		if (!expect_status(disk, "batch read", i, requests[i].status, VIRTIO_BLK_S_OK) ||
		    (e->pattern_given && !blk_check_pattern(disk->f, data[i], e->pattern_seed, i, SECTOR_BYTES)))
			return false;
	tsc_delay_us(10000);
	if (disk->c.dev->used_interrupts != before)
		return problem(disk->f, "%u interrupts for %u reads with notifications suppressed (%s)",
			       disk->c.dev->used_interrupts - before, batch, vq->event_idx ? "used_event" : "NO_INTERRUPT");
	found(disk->f, ", %u reads with interrupts suppressed", batch);
	return true;
}

static void test_disk(struct virtio_device *d, const struct blk_expect *e, struct findings *f)
{
	struct disk disk = { .f = f };
	if (!virtio_start(d, VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC | VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH, f))
		return;
	disk.capacity = virtio_config64(d, VIRTIO_BLK_CONFIG_CAPACITY);
	bool ro = d->features & VIRTIO_BLK_F_RO;
	found(f, " sectors %lu%s%s%s%s", disk.capacity, d->features & VIRTIO_F_EVENT_IDX ? " event-idx" : "",
	      d->features & VIRTIO_F_INDIRECT_DESC ? " indirect" : "", ro ? " ro" : "",
	      d->features & VIRTIO_BLK_F_FLUSH ? " flush" : "");
	if (e->sectors_given && disk.capacity != e->sectors) {
		problem(f, "expected %lu sectors", e->sectors);
		return;
	}
	if (ro != e->ro) {
		problem(f, "%s", ro ? "VIRTIO_BLK_F_RO is offered, but the key has no `ro`" : "VIRTIO_BLK_F_RO is not offered");
		return;
	}
	if (!virtio_channel_open(&disk.c, d, 0, ring_memory, f) || !virtio_driver_ok(d, f))
		return;
	found(f, ", queue size %u", disk.c.vq.size);

	uint64_t check = disk.capacity < PATTERN_CHECK_SECTORS ? disk.capacity : PATTERN_CHECK_SECTORS;
	if (e->pattern_given) {
		if (!read_and_compare(&disk, 0, check, e->pattern_seed))
			return;
		found(f, ", pattern in %lu sectors", check);
	}
	if ((e->id_given && !check_id(&disk, e->id)) || (e->write_given && !check_write(&disk, e)) ||
	    (e->ro && !check_read_only(&disk, e)) || !check_suppressed_batch(&disk, e))
		return;
	found(f, ", %u requests (%u indirect)", disk.c.requests, disk.indirect_requests);
	virtio_check_interrupts(&disk.c, f);
}

void test_blk(const struct options *options)
{
	for (uint32_t k = 0; k < BLK_KEYS_MAX; k++) {
		const struct blk_expect *e = &options->blk[k];
		if (!e->given)
			continue;
		char name[16];
		format_buffer(name, sizeof(name), "blk%u", k);
		struct findings f = { 0 };
		struct virtio_device *d = virtio_find(VIRTIO_ID_BLOCK, k);
		if (!e->valid) {
			problem(&f, "glue.blk%u has an attribute that is not ro, sectors:<n>, pattern:<seed>, "
				    "write:<sector>:<count>:<seed> or id:<string>", k);
		} else if (!d) {
			found(&f, "no block device %u among %u virtio devices", k, virtio_device_count);
			problem(&f, "expected one (glue.blk%u)", k);
		} else {
			found(&f, "%s", d->location);
			test_disk(d, e, &f);
			virtio_reset(d);
		}
		test_report_findings(name, &f);
	}
}
