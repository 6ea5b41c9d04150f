/*
 * Local APIC access from CPL3. Each access is an MMIO exit that KVM's in-kernel LAPIC handles;
 * every CPU sees its own LAPIC at the same address.
 */
#include "lapic.h"
#include "irq.h"
#include "tsc.h"

#define APIC_DEFAULT_PHYS_BASE 0xfee00000 /* IA32_APIC_BASE after reset (Intel SDM Vol. 3A) */

/* Register offsets (Intel SDM Vol. 3A, "Local APIC Register Address Map"). */
#define APIC_ID 0x020
#define APIC_TASKPRI 0x080
#define APIC_EOI 0x0b0
#define APIC_SPIV 0x0f0 /* spurious-interrupt vector register (SVR) */
#define APIC_ICR 0x300  /* ICR bits 31:0 */
#define APIC_ICR2 0x310 /* ICR bits 63:32: destination in 31:24 */
#define APIC_LVTT 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370

#define APIC_SPIV_APIC_ENABLED 0x100
#define APIC_LVT_MASKED 0x10000
#define APIC_ICR_BUSY 0x01000 /* delivery status: send pending */

static uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(APIC_DEFAULT_PHYS_BASE + reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(APIC_DEFAULT_PHYS_BASE + reg, value);
}

void lapic_enable(void)
{
	/*
	 * Mask the local sources first: QEMU resets the BSP's LINT0 to ExtINT (for a PIC), and we
	 * want only the interrupts we ask for. TPR 0 accepts every priority class.
	 */
	lapic_write(APIC_LVTT, APIC_LVT_MASKED);
	lapic_write(APIC_LVT0, APIC_LVT_MASKED);
	lapic_write(APIC_LVT1, APIC_LVT_MASKED);
	lapic_write(APIC_LVTERR, APIC_LVT_MASKED);
	lapic_write(APIC_TASKPRI, 0);
	lapic_write(APIC_SPIV, APIC_SPIV_APIC_ENABLED | SPURIOUS_VECTOR);
}

uint32_t lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

static bool wait_idle(void)
{
	uint64_t deadline = tsc_deadline_us(100000);
	while (lapic_read(APIC_ICR) & APIC_ICR_BUSY)
		if (tsc_passed(deadline))
			return false;
	return true;
}

bool lapic_send_ipi(uint32_t dest_apic_id, uint32_t icr_low)
{
	if (!wait_idle())
		return false;
	lapic_write(APIC_ICR2, dest_apic_id << 24);
	lapic_write(APIC_ICR, icr_low);
	return wait_idle();
}

bool lapic_send_self_ipi(uint8_t vector)
{
	return lapic_send_ipi(0, APIC_DEST_SELF | APIC_INT_ASSERT | APIC_DM_FIXED | vector);
}

volatile uint32_t *lapic_icr_low(void)
{
	return (volatile uint32_t *)(APIC_DEFAULT_PHYS_BASE + APIC_ICR);
}
