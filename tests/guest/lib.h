/* Small freestanding helpers: port I/O, MMIO, CPUID, TSC, atomics, strings. All usable at CPL3. */
#ifndef LIB_H
#define LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NORETURN __attribute__((noreturn))

/* Port I/O: allowed at CPL3 because each CPU's TSS I/O bitmap grants every port. */
static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t value;
	__asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t value;
	__asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/* MMIO: every physical address below 4 GiB is identity-mapped with the U/S bit. */
static inline uint32_t mmio_read32(uintptr_t address)
{
	return *(volatile uint32_t *)address;
}

static inline void mmio_write32(uintptr_t address, uint32_t value)
{
	*(volatile uint32_t *)address = value;
}

/* Narrower accesses, for registers that must be read and written at their own width (PCI, virtio-pci). */
static inline uint8_t mmio_read8(uintptr_t address)
{
	return *(volatile uint8_t *)address;
}

static inline uint16_t mmio_read16(uintptr_t address)
{
	return *(volatile uint16_t *)address;
}

static inline void mmio_write8(uintptr_t address, uint8_t value)
{
	*(volatile uint8_t *)address = value;
}

static inline void mmio_write16(uintptr_t address, uint16_t value)
{
	*(volatile uint16_t *)address = value;
}

/* One access of `width` bytes (1, 2 or 4). */
static inline uint32_t mmio_read(uintptr_t address, unsigned width)
{
	return width == 4 ? mmio_read32(address) : width == 2 ? mmio_read16(address) : mmio_read8(address);
}

static inline void mmio_write(uintptr_t address, unsigned width, uint32_t value)
{
	if (width == 4)
		mmio_write32(address, value);
	else if (width == 2)
		mmio_write16(address, (uint16_t)value);
	else
		mmio_write8(address, (uint8_t)value);
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* No cpuid() here: at CPL3 on PVM it asks the host CPU. Use cpuid_cpl0() from cpuid.h. */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* For busy-wait loops; HLT would fault at CPL3. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* A spinlock for CPL3 code: XCHG is an atomic read-modify-write that needs no privilege. */
typedef struct {
	volatile uint32_t locked;
} spinlock_t;

static inline bool spin_trylock(spinlock_t *lock)
{
	return __atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	while (!spin_trylock(lock))
		cpu_relax();
}

static inline void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* A full barrier (MFENCE): stores before it are visible before loads after it. Fine at CPL3. */
static inline void memory_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline uint32_t atomic_inc(volatile uint32_t *value)
{
	return __atomic_add_fetch(value, 1, __ATOMIC_SEQ_CST);
}

/* gcc may emit calls to these four even in freestanding code. */
void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
bool starts_with(const char *s, const char *prefix);
/* If [token, end) starts with name (e.g. "glue.cpus="), points *value just past it. */
bool key_value(const char *token, const char *end, const char *name, const char **value);
/* Parse a whole decimal number [s, end); false if empty, not all digits, or over UINT64_MAX. */
bool parse_u64(const char *s, const char *end, uint64_t *value);
/* Parse exactly eight lowercase hex digits. */
bool parse_hex32(const char *s, const char *end, uint32_t *value);
/* Parse a whole number [s, end): "0x" and hex digits (either case), else decimal; false if it is not one. */
bool parse_number(const char *s, const char *end, uint64_t *value);

#endif
