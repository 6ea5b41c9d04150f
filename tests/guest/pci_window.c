#include "pci_window.h"
#include "acpi.h"

/* AML (ACPI 6.5, 20.2): NameOp, BufferOp and the integer prefixes a BufferSize may use. */
#define AML_NAME_OP 0x08
#define AML_BUFFER_OP 0x11
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c

/* Resource descriptors (ACPI 6.5, 6.4): large item names, and the address space resource types. */
#define ACPI_RESOURCE_LARGE 0x80
#define ACPI_RESOURCE_END_TAG 0x79
#define ACPI_RESOURCE_DWORD_ADDRESS 0x87
#define ACPI_RESOURCE_WORD_ADDRESS 0x88
#define ACPI_RESOURCE_QWORD_ADDRESS 0x8a
#define ACPI_ADDRESS_TYPE_MEMORY 0
#define ACPI_ADDRESS_TYPE_BUS 2

static uint64_t little_endian(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* An address space descriptor's minimum and maximum, whatever its width. */
static void address_range(const uint8_t *d, unsigned field_bytes, uint64_t *min, uint64_t *max)
{
	const uint8_t *granularity = d + 6; /* after tag, length (2), type, general and type-specific flags */
	*min = little_endian(granularity + field_bytes, field_bytes);
	*max = little_endian(granularity + 2 * field_bytes, field_bytes);
}

/* Reads one resource template; true if it is the root bridge's (a bus range from 0). */
static bool parse_template(const uint8_t *p, const uint8_t *end, struct pci_host_windows *w)
{
	struct pci_host_windows found = { 0 };
	bool root = false;
	while (p < end && *p != ACPI_RESOURCE_END_TAG) {
		if (!(*p & ACPI_RESOURCE_LARGE)) {
			p += 1 + (*p & 7);
			continue;
		}
		if (end - p < 3)
			return false;
		uint32_t length = (uint32_t)little_endian(p + 1, 2);
		unsigned field_bytes = *p == ACPI_RESOURCE_WORD_ADDRESS ? 2 : *p == ACPI_RESOURCE_DWORD_ADDRESS ? 4
							     : *p == ACPI_RESOURCE_QWORD_ADDRESS ? 8 : 0;
		if (field_bytes && length >= 3 + 5 * field_bytes && p + 3 + length <= end) {
			uint64_t min, max;
			address_range(p, field_bytes, &min, &max);
			if (p[3] == ACPI_ADDRESS_TYPE_BUS && min == 0) {
				root = true;
				found.bus_start = (uint8_t)min;
				found.bus_end = (uint8_t)(max > 255 ? 255 : max);
			} else if (p[3] == ACPI_ADDRESS_TYPE_MEMORY && max > min && found.count < PCI_WINDOWS_MAX) {
				found.memory[found.count++] = (struct pci_window){ min, max };
			}
		}
		p += 3 + length;
	}
	if (root)
		*w = found;
	return root;
}

bool pci_host_windows(struct pci_host_windows *w)
{
	const struct acpi_header *dsdt = acpi_find_dsdt();
	if (!dsdt)
		return false;
	const uint8_t *aml = (const uint8_t *)dsdt, *table_end = aml + dsdt->length;
	for (const uint8_t *p = aml + sizeof(*dsdt); p + 8 < table_end; p++) {
		if (p[0] != AML_NAME_OP || memcmp(p + 1, "_CRS", 4) != 0 || p[5] != AML_BUFFER_OP)
			continue;
		/* PkgLength (20.2.4): bits 7:6 of the lead byte count the bytes after it. */
		const uint8_t *q = p + 6;
		unsigned extra = q[0] >> 6;
		uint32_t length = extra ? q[0] & 0x0f : q[0] & 0x3f;
		for (unsigned i = 0; i < extra; i++)
			length |= (uint32_t)q[1 + i] << (4 + 8 * i);
		const uint8_t *buffer_end = q + length;
		q += 1 + extra;
		q += *q == AML_BYTE_PREFIX ? 2 : *q == AML_WORD_PREFIX ? 3 : *q == AML_DWORD_PREFIX ? 5 : 1; /* BufferSize */
		if (buffer_end > table_end || q >= buffer_end)
			continue;
		if (parse_template(q, buffer_end, w))
			return true;
	}
	return false;
}
