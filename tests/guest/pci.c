#include "pci.h"
#include "acpi.h"

#define PCI_DEVICES_PER_BUS 32
#define PCI_FUNCTIONS_PER_DEVICE 8
#define PCI_BUSES 256
#define MCFG_ENTRIES_OFFSET 44 /* the header and 8 reserved bytes (PCI Firmware 3.2, Table 4-2) */
#define FOUR_GIB (1ull << 32)

/* One MCFG allocation structure (PCI Firmware 3.2, Table 4-3). */
struct __attribute__((packed)) mcfg_allocation {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
};

struct pci_ecam pci_ecam;
struct pci_function pci_functions[PCI_FUNCTIONS_MAX];
uint32_t pci_function_count;
static bool initialized;

bool pci_initialized(void)
{
	return initialized;
}

/* ---- Raw access by mechanism and bus/device/function. */

struct bdf {
	uint8_t bus, device, function;
};

static uint32_t mechanism_1_address(struct bdf a, uint16_t offset)
{
	return PCI_CONFIG_ENABLE | (uint32_t)a.bus << 16 | (uint32_t)a.device << 11 | (uint32_t)a.function << 8 |
	       (offset & 0xfc);
}

static uintptr_t ecam_address(struct bdf a, uint16_t offset)
{
	return (uintptr_t)(pci_ecam.base + ((uint64_t)(a.bus - pci_ecam.start_bus) << 20) + ((uint64_t)a.device << 15) +
			   ((uint64_t)a.function << 12) + offset);
}

static bool ecam_covers(struct bdf a)
{
	return pci_ecam.found && a.bus >= pci_ecam.start_bus && a.bus <= pci_ecam.end_bus;
}

/* Reads `width` bytes (1, 2, 4) at a naturally aligned offset. */
static uint32_t config_read(enum pci_mechanism m, struct bdf a, uint16_t offset, unsigned width)
{
	if (m == PCI_MECHANISM_ECAM)
		return ecam_covers(a) ? mmio_read(ecam_address(a, offset), width) : 0xffffffffu;
	if (offset >= 256)
		return 0xffffffffu;
	outl(PCI_CONFIG_ADDRESS_PORT, mechanism_1_address(a, offset));
	uint16_t port = (uint16_t)(PCI_CONFIG_DATA_PORT + (offset & 3));
	return width == 4 ? inl(port) : width == 2 ? inw(port) : inb(port);
}

static void config_write(enum pci_mechanism m, struct bdf a, uint16_t offset, unsigned width, uint32_t value)
{
	if (m == PCI_MECHANISM_ECAM) {
		if (ecam_covers(a))
			mmio_write(ecam_address(a, offset), width, value);
		return;
	}
	if (offset >= 256)
		return;
	outl(PCI_CONFIG_ADDRESS_PORT, mechanism_1_address(a, offset));
	uint16_t port = (uint16_t)(PCI_CONFIG_DATA_PORT + (offset & 3));
	if (width == 4)
		outl(port, value);
	else if (width == 2)
		outw(port, (uint16_t)value);
	else
		outb(port, (uint8_t)value);
}

/* ---- Access to a found function: ECAM when there is one. */

static enum pci_mechanism preferred(void)
{
	return pci_ecam.found ? PCI_MECHANISM_ECAM : PCI_MECHANISM_1;
}

static struct bdf bdf_of(const struct pci_function *fn)
{
	return (struct bdf){ fn->bus, fn->device, fn->function };
}

uint32_t pci_read32(const struct pci_function *fn, uint16_t offset)
{
	return config_read(preferred(), bdf_of(fn), offset, 4);
}

uint16_t pci_read16(const struct pci_function *fn, uint16_t offset)
{
	return (uint16_t)config_read(preferred(), bdf_of(fn), offset, 2);
}

uint8_t pci_read8(const struct pci_function *fn, uint16_t offset)
{
	return (uint8_t)config_read(preferred(), bdf_of(fn), offset, 1);
}

void pci_write32(const struct pci_function *fn, uint16_t offset, uint32_t value)
{
	config_write(preferred(), bdf_of(fn), offset, 4, value);
}

void pci_write16(const struct pci_function *fn, uint16_t offset, uint16_t value)
{
	config_write(preferred(), bdf_of(fn), offset, 2, value);
}

uint8_t pci_find_capability(const struct pci_function *fn, uint8_t id, uint8_t after)
{
	if (!(pci_read16(fn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t offset = after ? pci_read8(fn, after + PCI_CAP_LIST_NEXT) : pci_read8(fn, PCI_CAPABILITY_LIST);
	/* 48 capabilities at most fit in the 192 bytes after the header: a longer list is a loop. */
	for (unsigned steps = 0; offset >= 0x40 && steps < 48; steps++) {
		offset &= 0xfc;
		if (pci_read8(fn, offset + PCI_CAP_LIST_ID) == id)
			return offset;
		offset = pci_read8(fn, offset + PCI_CAP_LIST_NEXT);
	}
	return 0;
}

/* ---- Enumeration. */

struct scan {
	enum pci_mechanism mechanism;
	struct pci_function *out;
	uint32_t max, count;
	bool visited[PCI_BUSES];
};

static void scan_bus(struct scan *s, uint8_t bus);

/* No function answers with all-ones; a bus that is not there may read all-zeros, as Linux also allows. */
static bool present(struct scan *s, struct bdf a)
{
	uint32_t ids = config_read(s->mechanism, a, PCI_VENDOR_ID, 4);
	return ids != 0xffffffffu && ids != 0 && ids != 0x0000ffffu && ids != 0xffff0000u;
}

static void scan_function(struct scan *s, struct bdf a)
{
	uint32_t ids = config_read(s->mechanism, a, PCI_VENDOR_ID, 4);
	uint16_t vendor = (uint16_t)ids;
	uint8_t header = (uint8_t)config_read(s->mechanism, a, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK;
	if (s->count < s->max)
		s->out[s->count] = (struct pci_function){ .bus = a.bus, .device = a.device, .function = a.function,
							  .vendor_id = vendor, .device_id = (uint16_t)(ids >> 16),
							  .class_revision = config_read(s->mechanism, a, PCI_CLASS_REVISION, 4),
							  .header_type = header };
	s->count++;
	if (header == PCI_HEADER_TYPE_BRIDGE) {
		uint8_t secondary = (uint8_t)config_read(s->mechanism, a, PCI_SECONDARY_BUS, 1);
		if (secondary > a.bus)
			scan_bus(s, secondary);
	}
}

static void scan_bus(struct scan *s, uint8_t bus)
{
	if (s->visited[bus])
		return;
	s->visited[bus] = true;
	for (uint8_t device = 0; device < PCI_DEVICES_PER_BUS; device++) {
		struct bdf a = { bus, device, 0 };
		if (!present(s, a))
			continue;
		bool multi = config_read(s->mechanism, a, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MFD;
		scan_function(s, a);
		for (a.function = 1; multi && a.function < PCI_FUNCTIONS_PER_DEVICE; a.function++)
			if (present(s, a))
				scan_function(s, a);
	}
}

uint32_t pci_enumerate(enum pci_mechanism mechanism, struct pci_function *out, uint32_t max)
{
	static struct scan s;
	s = (struct scan){ .mechanism = mechanism, .out = out, .max = max };
	scan_bus(&s, mechanism == PCI_MECHANISM_ECAM ? pci_ecam.start_bus : 0);
	return s.count;
}

/* ---- BARs (PCI 3.0, 6.2.5.1): write all-ones, read back the size mask, restore; decoding off meanwhile. */

static void size_bars(struct pci_function *fn)
{
	unsigned count = fn->header_type == PCI_HEADER_TYPE_BRIDGE ? PCI_BRIDGE_NUM_BARS : PCI_STD_NUM_BARS;
	if (fn->header_type != PCI_HEADER_TYPE_NORMAL && fn->header_type != PCI_HEADER_TYPE_BRIDGE)
		return;
	uint16_t command = pci_read16(fn, PCI_COMMAND);
	pci_write16(fn, PCI_COMMAND, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < count; i++) {
		uint16_t reg = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
		uint32_t low = pci_read32(fn, reg);
		pci_write32(fn, reg, 0xffffffffu);
		uint32_t mask = pci_read32(fn, reg);
		pci_write32(fn, reg, low);
		struct pci_bar *bar = &fn->bars[i];
		if (mask == 0)
			continue;
		if (low & PCI_BASE_ADDRESS_SPACE_IO) {
			bar->io = true;
			bar->address = low & PCI_BASE_ADDRESS_IO_MASK;
			bar->size = (uint16_t)~(mask & PCI_BASE_ADDRESS_IO_MASK) + 1u;
			continue;
		}
		bar->prefetchable = low & PCI_BASE_ADDRESS_MEM_PREFETCH;
		uint64_t address = low & PCI_BASE_ADDRESS_MEM_MASK, size_mask = mask & PCI_BASE_ADDRESS_MEM_MASK;
		if ((low & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < count) {
			bar->is64 = true;
			uint32_t high = pci_read32(fn, reg + 4);
			pci_write32(fn, reg + 4, 0xffffffffu);
			uint32_t high_mask = pci_read32(fn, reg + 4);
			pci_write32(fn, reg + 4, high);
			address |= (uint64_t)high << 32;
			size_mask |= (uint64_t)high_mask << 32;
			i++;
		} else {
			size_mask |= 0xffffffff00000000ull;
		}
		bar->address = address;
		bar->size = ~size_mask + 1;
	}
	pci_write16(fn, PCI_COMMAND, command);
}

void pci_move_bar(struct pci_function *fn, unsigned i, uint64_t address)
{
	uint16_t reg = (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * i);
	uint16_t command = pci_read16(fn, PCI_COMMAND);
	pci_write16(fn, PCI_COMMAND, command & ~PCI_COMMAND_MEMORY);
	uint32_t flags = pci_read32(fn, reg) & ~PCI_BASE_ADDRESS_MEM_MASK;
	pci_write32(fn, reg, (uint32_t)address | flags);
	if (fn->bars[i].is64)
		pci_write32(fn, reg + 4, (uint32_t)(address >> 32));
	pci_write16(fn, PCI_COMMAND, command);
	uint64_t now = pci_read32(fn, reg) & PCI_BASE_ADDRESS_MEM_MASK;
	if (fn->bars[i].is64)
		now |= (uint64_t)pci_read32(fn, reg + 4) << 32;
	fn->bars[i].address = now;
}

/* ---- MCFG and the whole picture. */

static bool find_ecam(struct findings *f)
{
	const struct acpi_header *mcfg = acpi_find_table("MCFG");
	if (!mcfg)
		return true;
	uint32_t entries = mcfg->length < MCFG_ENTRIES_OFFSET ? 0 : (mcfg->length - MCFG_ENTRIES_OFFSET) / 16;
	for (uint32_t i = 0; i < entries; i++) {
		struct mcfg_allocation a;
		memcpy(&a, (const uint8_t *)mcfg + MCFG_ENTRIES_OFFSET + 16 * i, sizeof(a));
		if (a.segment != 0)
			continue;
		uint64_t end = a.base + ((uint64_t)(a.end_bus - a.start_bus + 1) << 20);
		if (a.end_bus < a.start_bus || a.base % (1 << 20) != 0 || end > FOUR_GIB)
			return problem(f, "MCFG entry %u: 0x%lx buses %u-%u is not a 1 MiB-aligned area below 4 GiB", i, a.base,
				       a.start_bus, a.end_bus);
		pci_ecam = (struct pci_ecam){ .found = true, .base = a.base, .start_bus = a.start_bus, .end_bus = a.end_bus };
		return true;
	}
	return problem(f, "MCFG (%u entries) has none for segment 0", entries);
}

bool pci_init(bool force_mechanism_1, struct findings *f)
{
	pci_ecam = (struct pci_ecam){ 0 };
	pci_function_count = 0;
	initialized = true;
	if (!find_ecam(f))
		return false;
	if (!pci_ecam.found && !force_mechanism_1)
		return true;
	uint32_t n = pci_enumerate(preferred(), pci_functions, PCI_FUNCTIONS_MAX);
	pci_function_count = n < PCI_FUNCTIONS_MAX ? n : PCI_FUNCTIONS_MAX;
	for (uint32_t i = 0; i < pci_function_count; i++)
		size_bars(&pci_functions[i]);
	if (n > PCI_FUNCTIONS_MAX)
		return problem(f, "%u PCI functions, more than the %u this guest keeps", n, PCI_FUNCTIONS_MAX);
	return true;
}
