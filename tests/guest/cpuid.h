/*
 * CPUID as the VMM configured it. On PVM a CPUID at CPL3 is not seen by KVM: it runs on (and is
 * answered for) the host CPU, so CPUID.1 gives the host's APIC ID, and the hypervisor leaves are
 * the host's hypervisor's. At CPL0 KVM's emulator answers from the VMM's KVM_SET_CPUID2 table.
 * So each CPU snapshots a few leaves at CPL0 on its way to CPL3 (entry.S), and C reads them here.
 */
#ifndef CPUID_H
#define CPUID_H

#include "defs.h"
#include "lib.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31) /* "running under a hypervisor" (Intel SDM, CPUID leaf 1) */
/* Hypervisor leaves (the range Intel and AMD reserve for hypervisors; layout as KVM documents it). */
#define CPUID_HYPERVISOR_BASE 0x40000000   /* EAX: highest hypervisor leaf */
#define CPUID_HYPERVISOR_TIMING 0x40000010 /* EAX: TSC kHz (the VMware-defined leaf QEMU fills in) */

/* Leaf `leaf` as CPU `cpu` saw it at CPL0; all zeros for a leaf that is not snapshotted. */
struct cpuid_regs cpuid_cpl0(unsigned cpu, uint32_t leaf);

#endif
