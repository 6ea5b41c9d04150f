/*
 * A driver's write of one byte of device configuration: virtio-input's select and subsel (virtio 1.2,
 * 5.8.5) are the only config a test guest writes. It belongs beside virtio_config32 in the transport
 * layer; virtio_mmio_config.c is the virtio-mmio one (8-bit writes from offset 0x100, 4.2.2), and a
 * transport added later gives its own.
 */
#ifndef VIRTIO_CONFIG_H
#define VIRTIO_CONFIG_H

#include "virtio_mmio.h"

void virtio_config_write8(struct virtio_device *d, uint32_t offset, uint8_t value);

#endif
