/* Time from the TSC, which CPL3 can read (CR4.TSD is clear). */
#ifndef TSC_H
#define TSC_H

#include "lib.h"

/* TSC ticks per second, and where that number came from ("cpuid-0x40000010", ..., "assumed"). */
uint64_t tsc_hz(void);
const char *tsc_hz_source(void);

uint64_t tsc_deadline_us(uint64_t microseconds);
bool tsc_passed(uint64_t deadline);
void tsc_delay_us(uint64_t microseconds);

#endif
