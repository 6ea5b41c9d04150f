/*
 * The glue.* keys of the command line (space-separated tokens; unknown ones are ignored):
 *   glue.mem=<MiB>                  memmap: RAM adds up to between MiB - 1 and MiB MiB
 *   glue.initrd=<size>:<crc32 hex>  initrd: module 0 has this size and CRC-32
 *   glue.cpus=<N>                   smp: N CPUs come up (default 1)
 *   glue.acpi=1|0                   acpi: the ACPI tables are there and valid | there is no RSDP
 *   glue.mptable=1|0                mptable: the MP table is there and valid | there is none
 *   glue.mode=emulation-failure|counter|exits|blkbench|netbench|blk-soak|io-seq   instead of the tests
 *   glue.virtio-scan=<base>:<stride>:<count>:<irq>   virtio: look for devices in these windows
 *   glue.blk<k>=<attribute>[,<attribute>...]   blk<k>: what block device k holds (README.md)
 *   glue.rng=1|0                    rng: there is an entropy device to read | there is none
 * and Linux's virtio_mmio.device=<size>@<base>:<irq>[:<id>], which VMMs put there for the devices.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "lib.h"

enum guest_mode { MODE_TESTS, MODE_EMULATION_FAILURE, MODE_COUNTER, MODE_EXITS, MODE_BLKBENCH, MODE_NETBENCH, MODE_BLK_SOAK, MODE_IO_SEQ };

/* What a glue.<table>=1|0 key says about a firmware table. */
enum expect { EXPECT_UNSTATED, EXPECT_ABSENT, EXPECT_PRESENT, EXPECT_INVALID };

#define VIRTIO_TOKENS_MAX 32
#define BLK_KEYS_MAX 8
#define BLK_ID_BYTES 20 /* VIRTIO_BLK_T_GET_ID's buffer */

/* One virtio_mmio.device=<size>@<base>:<irq> token. */
struct virtio_window {
	uint64_t base, size, irq;
};

/* A glue.blk<k>= key; see README.md for the attributes. */
struct blk_expect {
	bool given, valid;
	bool ro;
	bool sectors_given;
	uint64_t sectors;
	bool pattern_given;
	uint32_t pattern_seed;
	bool write_given;
	uint64_t write_sector, write_count;
	uint32_t write_seed;
	bool id_given;
	char id[BLK_ID_BYTES + 1];
};

struct options {
	enum guest_mode mode;

	bool mem_given, mem_valid;
	uint64_t mem_mib;

	bool initrd_given, initrd_valid;
	uint64_t initrd_size;
	uint32_t initrd_crc;

	bool cpus_valid;
	uint64_t cpus;

	enum expect acpi, mptable;

	uint32_t virtio_tokens, virtio_tokens_bad; /* tokens seen, and how many of them did not parse */
	struct virtio_window virtio_windows[VIRTIO_TOKENS_MAX]; /* the first ones that parsed */
	bool virtio_scan_given, virtio_scan_valid;
	uint64_t scan_base, scan_stride, scan_count, scan_irq;

	struct blk_expect blk[BLK_KEYS_MAX];
	enum expect rng;
};

void options_parse(const char *cmdline, struct options *options);

#endif
