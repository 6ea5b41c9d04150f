/*
 * The floor: the least a VMM can do to run the Glue test guest, so that the bench can tell Glue's own
 * cost per exit from KVM's. One VM, RAM in one slot, one vCPU in the PVH entry state (32-bit protected
 * mode, flat segments, EBX = hvm_start_info), and an exit loop that knows COM1's THR, LCR, LSR and the i8042
 * reset the guest ends with; every other port or MMIO access is dropped (reads as all ones).
 *
 *     floor GUEST.elf "COMMAND LINE"     # serial output on stdout; exit 0 on the guest's reset
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_BYTES (512ul << 20)
#define START_INFO 0x6000ul  /* where Glue puts them too (src/Core/Memory/MemoryLayout.cs) */
#define MEMMAP 0x6100ul
#define CMDLINE 0x20000ul
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578
#define XEN_HVM_MEMMAP_TYPE_RAM 1
#define COM1_THR 0x3f8
#define COM1_LCR 0x3fb
#define COM1_LSR 0x3fd
#define UART_LCR_DLAB 0x80 /* THR is the divisor latch while set */
#define UART_LSR_THRE_TEMT 0x60
#define I8042_COMMAND 0x64
#define I8042_CMD_PULSE_RESET 0xfe
#define CPUID_ENTRIES 256

/* xen/include/public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int kvm(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);
	if (r < 0 && errno != EINTR && errno != EAGAIN)
		die("ioctl");
	return r;
}

/* Copies the PT_LOAD segments to their physical addresses and returns the PVH note's entry point. */
static uint32_t load_elf(const char *path, uint8_t *ram)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	const uint8_t *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		die(path);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
	uint32_t entry = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff + i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && ph->p_paddr + ph->p_memsz <= RAM_BYTES) {
			memcpy(ram + ph->p_paddr, file + ph->p_offset, ph->p_filesz); /* the rest is mmap's zeros */
		} else if (ph->p_type == PT_NOTE) {
			for (uint64_t at = ph->p_offset; at + sizeof(Elf64_Nhdr) <= ph->p_offset + ph->p_filesz;) {
				const Elf64_Nhdr *n = (const Elf64_Nhdr *)(file + at);
				uint64_t desc = at + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
				if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 && !memcmp(file + at + sizeof(*n), "Xen", 4))
					memcpy(&entry, file + desc, sizeof(entry));
				at = desc + ((n->n_descsz + 3) & ~3u);
			}
		}
	}
	if (!entry) {
		fprintf(stderr, "floor: %s has no PVH entry note\n", path);
		exit(1);
	}
	return entry;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
				   .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: floor GUEST.elf \"COMMAND LINE\"\n");
		return 2;
	}
	int dev = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kvm");
	int vm = kvm(dev, KVM_CREATE_VM, 0);
	uint8_t *ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_BYTES,
						      .userspace_addr = (uint64_t)ram };
	kvm(vm, KVM_SET_USER_MEMORY_REGION, &region);

	uint32_t entry = load_elf(argv[1], ram);
	strncpy((char *)ram + CMDLINE, argv[2], 0xffff);
	*(struct hvm_memmap_table_entry *)(ram + MEMMAP) =
		(struct hvm_memmap_table_entry){ .addr = 0, .size = RAM_BYTES, .type = XEN_HVM_MEMMAP_TYPE_RAM };
	*(struct hvm_start_info *)(ram + START_INFO) = (struct hvm_start_info){
		.magic = XEN_HVM_START_MAGIC_VALUE, .version = 1, .cmdline_paddr = CMDLINE,
		.memmap_paddr = MEMMAP, .memmap_entries = 1 };

	int vcpu = kvm(vm, KVM_CREATE_VCPU, 0);
	int run_size = kvm(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	/* The host's CPUID as KVM supports it: KVM allows EFER.LME only if the guest's CPUID has long mode. */
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[CPUID_ENTRIES];
	} cpuid = { .header.nent = CPUID_ENTRIES };
	kvm(dev, KVM_GET_SUPPORTED_CPUID, &cpuid);
	kvm(vcpu, KVM_SET_CPUID2, &cpuid);

	/* The PVH entry state (the PVH ABI; tests/guest/README.md): CR0.PE, paging off, flat CS and data. */
	struct kvm_sregs sregs;
	kvm(vcpu, KVM_GET_SREGS, &sregs);
	flat_segment(&sregs.cs, 0x10, 0xb); /* execute/read, accessed */
	flat_segment(&sregs.ds, 0x18, 0x3); /* read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11; /* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	kvm(vcpu, KVM_SET_SREGS, &sregs);
	struct kvm_regs regs = { .rip = entry, .rbx = START_INFO, .rflags = 0x2 };
	kvm(vcpu, KVM_SET_REGS, &regs);

	uint8_t lcr = 0;
	for (;;) {
		if (kvm(vcpu, KVM_RUN, 0) < 0)
			continue; /* EINTR, or EAGAIN */
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;
			if (run->io.direction == KVM_EXIT_IO_OUT) {
				if (run->io.port == COM1_THR && run->io.size == 1 && !(lcr & UART_LCR_DLAB))
					fwrite(data, 1, run->io.count, stdout);
				else if (run->io.port == COM1_LCR)
					lcr = data[0];
				else if (run->io.port == I8042_COMMAND && data[0] == I8042_CMD_PULSE_RESET)
					break;
			} else {
				memset(data, run->io.port == COM1_LSR ? UART_LSR_THRE_TEMT : 0xff, run->io.size * run->io.count);
			}
		} else if (run->exit_reason == KVM_EXIT_MMIO) {
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		} else {
			fflush(stdout);
			fprintf(stderr, "floor: exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	fflush(stdout);
	return 0;
}
