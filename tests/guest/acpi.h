/*
 * Finding the ACPI tables (ACPI 6.5, chapter 5.2): the RSDP, the XSDT it points to and the tables
 * the XSDT lists. Lookups here are lenient (a table is found by its signature alone); test_acpi.c is
 * what checks lengths and checksums. Everything is read in place: the tables are below 1 MiB or at
 * least below 4 GiB, which is identity-mapped.
 */
#ifndef ACPI_H
#define ACPI_H

#include "lib.h"

/* Root System Description Pointer (ACPI 6.5, 5.2.5.3). */
struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0, RSDT only; 2: the fields below exist */
	uint32_t rsdt_address;
	uint32_t length; /* of the whole structure */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over `length` bytes */
	uint8_t reserved[3];
};

#define ACPI_RSDP_V1_BYTES 20

/* The header every system description table starts with (ACPI 6.5, 5.2.6). */
struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length; /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* all `length` bytes add up to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

/* The MADT, signature "APIC" (ACPI 6.5, 5.2.12): the header, then these, then variable entries. */
struct __attribute__((packed)) acpi_madt {
	struct acpi_header header;
	uint32_t local_apic_address;
	uint32_t flags;
};

/* MADT entry types and the two fields every entry starts with (ACPI 6.5, Table 5.21). */
#define MADT_LOCAL_APIC 0   /* Processor Local APIC: uid u8, apic id u8, flags u32 */
#define MADT_IO_APIC 1      /* I/O APIC: id u8, reserved u8, address u32, GSI base u32 */
#define MADT_LOCAL_X2APIC 9 /* Processor Local x2APIC: reserved u16, x2apic id u32, flags u32, uid u32 */
#define MADT_LAPIC_ENABLED 1

struct __attribute__((packed)) madt_entry {
	uint8_t type;
	uint8_t length;
};

struct __attribute__((packed)) madt_local_apic {
	struct madt_entry entry;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
};

struct __attribute__((packed)) madt_io_apic {
	struct madt_entry entry;
	uint8_t io_apic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
};

struct __attribute__((packed)) madt_local_x2apic {
	struct madt_entry entry;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t processor_uid;
};

/* FADT (signature "FACP") fields we follow to the DSDT (ACPI 6.5, Table 5.9). */
#define FADT_DSDT_OFFSET 40   /* u32 */
#define FADT_X_DSDT_OFFSET 140 /* u64, in tables of at least 148 bytes */

/* Where the RSDP may be when the boot protocol does not say (ACPI 6.5, 5.2.5.1: the BIOS area). */
#define ACPI_RSDP_SCAN_START 0xe0000
#define ACPI_RSDP_SCAN_END 0x100000

/* True if the n bytes at p add up to 0 modulo 256. */
bool acpi_checksum_ok(const void *p, size_t n);

/*
 * The RSDP: at start_info's rsdp_paddr if the VMM set it (nothing is scanned then), else the first
 * 16-byte aligned "RSD PTR " in 0xe0000-0xfffff. NULL if there is none. *from says which way.
 */
const struct acpi_rsdp *acpi_find_rsdp(const char **from);

/* XSDT entry i of n (n from the XSDT's length); NULL for an address above 4 GiB. */
uint32_t acpi_xsdt_entries(const struct acpi_header *xsdt);
const struct acpi_header *acpi_xsdt_entry(const struct acpi_header *xsdt, uint32_t i);

/* The first table with this signature that the XSDT (or, with an ACPI 1.0 RSDP, the RSDT) lists; NULL if none. */
const struct acpi_header *acpi_find_table(const char signature[4]);
/* The DSDT the FADT points to (X_DSDT, else DSDT); NULL if there is none below 4 GiB. */
const struct acpi_header *acpi_find_dsdt(void);

#endif
