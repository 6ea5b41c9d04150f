#include "virtio_config.h"

void virtio_config_write8(struct virtio_device *d, uint32_t offset, uint8_t value)
{
	*(volatile uint8_t *)(d->base + VIRTIO_MMIO_CONFIG + offset) = value;
}
