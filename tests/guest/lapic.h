/* The local APIC in xAPIC mode, through its MMIO page at 0xfee00000 (mapped for CPL3). */
#ifndef LAPIC_H
#define LAPIC_H

#include "lib.h"

/* ICR delivery modes and flags (Intel SDM Vol. 3A, "Interrupt Command Register (ICR)"). */
#define APIC_DM_FIXED 0x00000
#define APIC_DM_INIT 0x00500
#define APIC_DM_STARTUP 0x00600
#define APIC_INT_ASSERT 0x04000
#define APIC_DEST_SELF 0x40000 /* destination shorthand 01: self */

/* Software-enables this CPU's LAPIC (SVR) with every local interrupt source masked. Idempotent. */
void lapic_enable(void);
/* The ID register's APIC ID (bits 31:24). */
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Writes ICR (high half first: the low write sends). Returns false if the LAPIC never took it. */
bool lapic_send_ipi(uint32_t dest_apic_id, uint32_t icr_low);
bool lapic_send_self_ipi(uint8_t vector);
/* The ICR's low half, for code that must send with one store of its own (test_irq.c). */
volatile uint32_t *lapic_icr_low(void);

#endif
