#ifndef SERIAL_H
#define SERIAL_H

#include "lib.h"

void serial_init(void);
/* printf to COM1; a call's output is never interleaved with another CPU's. Not from IRQ handlers. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like kprintf, but prints even if the lock cannot be had (used when reporting a fault). */
void kprintf_urgent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True once a byte has arrived on COM1 (LSR DR), which it takes: the host's "go on" on the guest's stdin. */
bool serial_byte_received(void);

#endif
