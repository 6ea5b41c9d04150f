#include "tests.h"
void test_virtio_pci(void) {}
