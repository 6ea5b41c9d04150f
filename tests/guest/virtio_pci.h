/*
 * Virtio over PCI, modern devices only (virtio 1.2, 4.1): the vendor capabilities that locate the
 * common, notify, ISR and device configuration structures in memory BARs (4.1.4), and MSI-X, one
 * vector for configuration changes and one per queue. Names as in Linux's
 * include/uapi/linux/virtio_pci.h.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "msix.h"
#include "virtio.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4 /* 4.1.2: virtio devices (Linux: pci_ids.h) */
#define VIRTIO_PCI_MODERN_DEVICE_ID_BASE 0x1040 /* 4.1.2.1: 0x1040 + the virtio device ID */
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000     /* 4.1.2.1: 0x1000-0x103f are transitional */

/* virtio_pci_cap (4.1.4): cfg_type values, and where its fields are. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16 /* virtio_pci_notify_cap.notify_off_multiplier (4.1.4.4) */
#define VIRTIO_PCI_CFG_DATA 16        /* virtio_pci_cfg_cap.pci_cfg_data (4.1.4.9) */

/* virtio_pci_common_cfg (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0
#define VIRTIO_PCI_COMMON_DF 4
#define VIRTIO_PCI_COMMON_GFSELECT 8
#define VIRTIO_PCI_COMMON_GF 12
#define VIRTIO_PCI_COMMON_MSIX 16
#define VIRTIO_PCI_COMMON_NUMQ 18
#define VIRTIO_PCI_COMMON_STATUS 20
#define VIRTIO_PCI_COMMON_CFGGENERATION 21
#define VIRTIO_PCI_COMMON_Q_SELECT 22
#define VIRTIO_PCI_COMMON_Q_SIZE 24
#define VIRTIO_PCI_COMMON_Q_MSIX 26
#define VIRTIO_PCI_COMMON_Q_ENABLE 28
#define VIRTIO_PCI_COMMON_Q_NOFF 30
#define VIRTIO_PCI_COMMON_Q_DESCLO 32
#define VIRTIO_PCI_COMMON_Q_DESCHI 36
#define VIRTIO_PCI_COMMON_Q_AVAILLO 40
#define VIRTIO_PCI_COMMON_Q_AVAILHI 44
#define VIRTIO_PCI_COMMON_Q_USEDLO 48
#define VIRTIO_PCI_COMMON_Q_USEDHI 52
#define VIRTIO_MSI_NO_VECTOR 0xffff /* 4.1.4.3: no vector, or the device could not map the one asked for */

#define VIRTIO_PCI_ISR_QUEUE 0x1  /* 4.1.4.5: a used buffer notification */
#define VIRTIO_PCI_ISR_CONFIG 0x2 /* a configuration change */

#define VIRTIO_PCI_QUEUES_MAX 4 /* queues that get a vector of their own: the tests use up to 3 */
#define VIRTIO_PCI_VECTORS (1 + VIRTIO_PCI_QUEUES_MAX)
#define VIRTIO_PCI_CONFIG_ENTRY 0 /* MSI-X entry 0 is the config vector, entry 1 + q queue q's (as Linux does) */

/* One structure a capability locates: BAR and offset, and where that is now. */
struct virtio_pci_region {
	uint8_t bar;
	uint32_t offset, length;
	uintptr_t address;
};

struct virtio_pci {
	struct pci_function *fn;
	struct virtio_pci_region common, notify, isr, device;
	uint8_t cfg_cap; /* the VIRTIO_PCI_CAP_PCI_CFG capability's offset; 0 if none */
	uint32_t notify_off_multiplier;
	uint16_t num_queues;
	uint16_t queue_notify_off[VIRTIO_PCI_QUEUES_MAX];
	uint32_t queues_enabled; /* bit q: queue q set up since the last reset */
	struct msix msix;
	uint8_t first_vector; /* LAPIC vector of MSI-X entry 0; entry e interrupts on first_vector + e */
	volatile uint32_t vector_interrupts[VIRTIO_PCI_VECTORS];
};

extern const struct virtio_transport virtio_pci_transport;

/*
 * Adds a virtio device for every modern virtio-pci function pci_init found (running it, and placing
 * BARs, if nothing did yet), after the ones already in virtio_devices; turns on memory decoding and
 * bus mastering. Problems go to f.
 */
void virtio_pci_discover(struct findings *f);

/* Recomputes every structure's address from the BARs (after the guest moved one); false if one is unusable. */
bool virtio_pci_locate(struct virtio_pci *p);

/* The MSI-X entry of queue q (shared when the table is too small for one each); VIRTIO_MSI_NO_VECTOR past the queues this driver sets up. */
uint16_t virtio_pci_queue_entry(const struct virtio_pci *p, uint32_t queue);

/* A 32-bit read of BAR bar at offset through the VIRTIO_PCI_CAP_PCI_CFG window in configuration space (4.1.4.9). */
uint32_t virtio_pci_cfg_read32(struct virtio_pci *p, uint8_t bar, uint32_t offset);

#endif
