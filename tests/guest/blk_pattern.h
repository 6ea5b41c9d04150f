/*
 * The block pattern test_blk.c checks and writes (README.md): the disk as little-endian 32-bit words,
 * word j = seed + j * 0x9e3779b1 mod 2^32, counted from the disk's start.
 */
#ifndef BLK_PATTERN_H
#define BLK_PATTERN_H

#include "report.h"

#define BLK_PATTERN_SECTOR 512
/* The seed of blk-soak's round 0 (mode_blk_soak.c); round n writes GLUE_SOAK_SEED + n. */
#define GLUE_SOAK_SEED 0x50000000u

void blk_fill_pattern(uint8_t *buffer, uint32_t seed, uint64_t sector, uint32_t bytes);
/* False, with the first differing byte in f, unless buffer holds the pattern for sectors from `sector`. */
bool blk_check_pattern(struct findings *f, const uint8_t *buffer, uint32_t seed, uint64_t sector, uint32_t bytes);

#endif
