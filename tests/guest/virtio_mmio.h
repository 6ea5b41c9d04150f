/*
 * Virtio over MMIO, version 2 (virtio 1.2, 4.2): finding the devices, and the driver's side of device
 * initialization (3.1.1) and queue setup (4.2.3.2). Registers are 32-bit little-endian at the window's
 * base; the device-specific configuration starts at 0x100.
 */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include "ioapic.h"
#include "options.h"
#include "report.h"
#include "virtqueue.h"

/* Register offsets (4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_MODERN_VERSION 2

#define VIRTIO_MMIO_INT_VRING 1  /* InterruptStatus: a used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2 /* InterruptStatus: a configuration change */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Device-independent feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_ENTROPY 4

#define VIRTIO_DEVICES_MAX 32

struct virtio_device {
	uintptr_t base;
	uint32_t irq; /* the GSI */
	uint32_t device_id;
	const char *found_by; /* "cmdline" or "scan" */
	uint8_t vector;       /* its interrupt's vector, once virtio_enable_interrupts ran */
	struct ioapic_pin pin;
	uint64_t offered, features; /* the device's features, and those negotiated */
	/* Counted by the interrupt handler: InterruptStatus had the used-buffer bit, the config bit, or neither. */
	volatile uint32_t used_interrupts, config_interrupts, empty_interrupts;
};

/* What virtio_discover found, in its order: the command line's tokens, then the scan's windows. */
extern struct virtio_device virtio_devices[VIRTIO_DEVICES_MAX];
extern uint32_t virtio_device_count;

/* Looks at every window the command line names; what it found and the first problem go to f. */
void virtio_discover(const struct options *options, struct findings *f);
/* The k-th device (from 0) with this device ID in discovery order, or NULL. */
struct virtio_device *virtio_find(uint32_t device_id, uint32_t k);
const char *virtio_device_name(uint32_t device_id);

/*
 * Reset, ACKNOWLEDGE, DRIVER, feature negotiation and FEATURES_OK (3.1.1 steps 1-6). VERSION_1 must
 * be offered; d->features becomes offered & wanted (VERSION_1 always). False, with the problem in f
 * and FAILED set in the status, if the device does not go along.
 */
bool virtio_start(struct virtio_device *d, uint64_t wanted, struct findings *f);
/* Queue setup (4.2.3.2): the queue gets the largest power of 2 up to QueueNumMax and VIRTQ_MAX_SIZE. */
bool virtio_setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f);
/* Routes the device's GSI to this CPU on its own vector and counts its interrupts (before DRIVER_OK). */
bool virtio_enable_interrupts(struct virtio_device *d, struct findings *f);
bool virtio_driver_ok(struct virtio_device *d, struct findings *f);
void virtio_notify(struct virtio_device *d, uint32_t queue);
/* Writes 0 to Status and waits for it to read 0; masks the device's interrupt. */
void virtio_reset(struct virtio_device *d);

/* Device configuration reads, 32 bits at a time, retried until ConfigGeneration holds still (4.2.3.1.1). */
uint32_t virtio_config32(struct virtio_device *d, uint32_t offset);
uint64_t virtio_config64(struct virtio_device *d, uint32_t offset);

#endif
