/*
 * The glue.* keys of the command line (space-separated tokens; unknown ones are ignored):
 *   glue.mem=<MiB>                  memmap: RAM adds up to between MiB - 1 and MiB MiB
 *   glue.initrd=<size>:<crc32 hex>  initrd: module 0 has this size and CRC-32
 *   glue.cpus=<N>                   smp: N CPUs come up (default 1)
 *   glue.acpi=1|0                   acpi: the ACPI tables are there and valid | there is no RSDP
 *   glue.mptable=1|0                mptable: the MP table is there and valid | there is none
 *   glue.mode=emulation-failure|counter   instead of the tests
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "lib.h"

enum guest_mode { MODE_TESTS, MODE_EMULATION_FAILURE, MODE_COUNTER };

/* What a glue.<table>=1|0 key says about a firmware table. */
enum expect { EXPECT_UNSTATED, EXPECT_ABSENT, EXPECT_PRESENT, EXPECT_INVALID };

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
};

void options_parse(const char *cmdline, struct options *options);

#endif
