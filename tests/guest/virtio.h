/*
 * Virtio devices as the tests see them, whatever the transport (virtio 1.2, 3 and 4): finding them,
 * the driver's side of device initialization (3.1.1), queues, notifications, configuration reads and
 * interrupts. Behind it, virtio_mmio.c (4.2) and virtio_pci.c (4.1) through struct virtio_transport.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "ioapic.h"
#include "options.h"
#include "report.h"
#include "virtqueue.h"

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

struct virtio_transport;
struct virtio_pci;

struct virtio_device {
	uintptr_t base; /* MMIO: the window; PCI: the common configuration structure */
	uint32_t irq;   /* MMIO: the GSI; PCI: 0 (it interrupts by MSI-X) */
	uint32_t device_id;
	const char *found_by; /* "cmdline", "scan" or "pci" */
	uint8_t vector;       /* its interrupt's vector (PCI: the config vector), once virtio_enable_interrupts ran */
	struct ioapic_pin pin;
	uint64_t offered, features; /* the device's features, and those negotiated */
	/*
	 * Counted by the interrupt handlers: a used buffer notification, a configuration change, or (MMIO)
	 * an interrupt with neither bit in InterruptStatus. On PCI every queue has its own MSI-X vector,
	 * counted apart too (struct virtio_pci); used_interrupts is their sum.
	 */
	volatile uint32_t used_interrupts, config_interrupts, empty_interrupts;
	const struct virtio_transport *transport;
	struct virtio_pci *pci; /* the virtio-pci transport's state; NULL on MMIO */
	char location[40];      /* how test lines name it: "0x<base> irq <gsi>" or "pci <bus>:<dev>.<fn>" */
};

/* What virtio_discover found, in its order: the command line's tokens, the scan's windows, then PCI. */
extern struct virtio_device virtio_devices[VIRTIO_DEVICES_MAX];
extern uint32_t virtio_device_count;

/*
 * Looks at every window the command line names, then at the PCI functions pci_init found; what it
 * found and the first problem go to f.
 */
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
/* Queue setup (4.2.3.2, 4.1.5.1.3): the largest power of 2 up to the device's maximum and VIRTQ_MAX_SIZE. */
bool virtio_setup_queue(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f);
/*
 * Routes the device's interrupts to this CPU, each on its own vector, and counts them (before
 * DRIVER_OK, after its queues are set up): MMIO its GSI; PCI its MSI-X config vector and one per queue.
 */
bool virtio_enable_interrupts(struct virtio_device *d, struct findings *f);
bool virtio_driver_ok(struct virtio_device *d, struct findings *f);
void virtio_notify(struct virtio_device *d, uint32_t queue);
/* Writes 0 to the status and waits for it to read 0; masks the device's interrupts. */
void virtio_reset(struct virtio_device *d);

/* Device configuration reads, 32 bits at a time, retried until the configuration generation holds still. */
uint32_t virtio_config32(struct virtio_device *d, uint32_t offset);
uint64_t virtio_config64(struct virtio_device *d, uint32_t offset);
/* An 8-bit field read (with the generation check), and writes of 8- and 32-bit fields (e.g. virtio-input's select). */
uint8_t virtio_config8(struct virtio_device *d, uint32_t offset);
void virtio_config_write8(struct virtio_device *d, uint32_t offset, uint8_t value);
void virtio_config_write32(struct virtio_device *d, uint32_t offset, uint32_t value);

/* For diagnostics: the device status, and InterruptStatus (MMIO) or the ISR status (PCI, which reading clears). */
uint32_t virtio_status(struct virtio_device *d);
uint32_t virtio_interrupt_status(struct virtio_device *d);
/* Appends the interrupts per vector (PCI; nothing on MMIO, whose device has one) to f. */
void virtio_found_interrupts(struct virtio_device *d, struct findings *f);

/* The largest power of 2 up to max and VIRTQ_MAX_SIZE. */
uint16_t virtio_queue_size(uint32_t max);

/* What a transport does for the functions above (virtio_mmio.c, virtio_pci.c). */
struct virtio_transport {
	uint32_t (*get_status)(struct virtio_device *d);
	void (*set_status)(struct virtio_device *d, uint32_t status);
	uint64_t (*device_features)(struct virtio_device *d);
	void (*set_driver_features)(struct virtio_device *d, uint64_t features);
	bool (*setup_queue)(struct virtio_device *d, uint32_t index, struct virtq *vq, void *memory, struct findings *f);
	bool (*enable_interrupts)(struct virtio_device *d, struct findings *f);
	void (*disable_interrupts)(struct virtio_device *d); /* after a reset */
	void (*notify)(struct virtio_device *d, uint32_t queue);
	uint32_t (*config_generation)(struct virtio_device *d);
	/* Device configuration at offset, width 1, 2 or 4 bytes. */
	uint32_t (*config_read)(struct virtio_device *d, uint32_t offset, unsigned width);
	void (*config_write)(struct virtio_device *d, uint32_t offset, unsigned width, uint32_t value);
	uint32_t (*interrupt_status)(struct virtio_device *d);
	void (*found_interrupts)(struct virtio_device *d, struct findings *f);
};

extern const struct virtio_transport virtio_mmio_transport;

#endif
