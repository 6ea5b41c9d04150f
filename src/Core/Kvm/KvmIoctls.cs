namespace Glue.Core.Kvm;

/// <summary>ioctl request numbers and constants from include/uapi/linux/kvm.h (x86_64 values).</summary>
public static class KvmIoctls
{
    public const int KVM_API_VERSION = 12;

    // System ioctls.
    public const nuint KVM_GET_API_VERSION = 0xae00;
    public const nuint KVM_CREATE_VM = 0xae01;
    public const nuint KVM_CHECK_EXTENSION = 0xae03;
    public const nuint KVM_GET_VCPU_MMAP_SIZE = 0xae04;
    public const nuint KVM_GET_SUPPORTED_CPUID = 0xc008ae05;
    public const nuint KVM_GET_MSR_INDEX_LIST = 0xc004ae02;

    // VM ioctls.
    public const nuint KVM_CREATE_VCPU = 0xae41;
    public const nuint KVM_SET_USER_MEMORY_REGION = 0x4020ae46;
    public const nuint KVM_SET_TSS_ADDR = 0xae47;
    public const nuint KVM_SET_IDENTITY_MAP_ADDR = 0x4008ae48;
    public const nuint KVM_CREATE_IRQCHIP = 0xae60;
    public const nuint KVM_IRQ_LINE = 0x4008ae61;
    public const nuint KVM_GET_IRQCHIP = 0xc208ae62;
    public const nuint KVM_SET_IRQCHIP = 0x8208ae63;
    public const nuint KVM_SET_CLOCK = 0x4030ae7b;
    public const nuint KVM_GET_CLOCK = 0x8030ae7c;
    public const nuint KVM_GET_PIT2 = 0x8070ae9f;
    public const nuint KVM_SET_PIT2 = 0x4070aea0;
    public const nuint KVM_SET_GSI_ROUTING = 0x4008ae6a;
    public const nuint KVM_IRQFD = 0x4020ae76;
    public const nuint KVM_CREATE_PIT2 = 0x4040ae77;
    public const nuint KVM_IOEVENTFD = 0x4040ae79;
    public const nuint KVM_ENABLE_CAP = 0x4068aea3;

    // vCPU ioctls.
    public const nuint KVM_RUN = 0xae80;
    public const nuint KVM_GET_REGS = 0x8090ae81;
    public const nuint KVM_SET_REGS = 0x4090ae82;
    public const nuint KVM_GET_SREGS = 0x8138ae83;
    public const nuint KVM_SET_SREGS = 0x4138ae84;
    public const nuint KVM_TRANSLATE = 0xc018ae85;
    public const nuint KVM_GET_MSRS = 0xc008ae88;
    public const nuint KVM_SET_MSRS = 0x4008ae89;
    public const nuint KVM_GET_FPU = 0x81a0ae8c;
    public const nuint KVM_SET_FPU = 0x41a0ae8d;
    public const nuint KVM_GET_LAPIC = 0x8400ae8e;
    public const nuint KVM_SET_LAPIC = 0x4400ae8f;
    public const nuint KVM_SET_CPUID2 = 0x4008ae90;
    public const nuint KVM_GET_MP_STATE = 0x8004ae98;
    public const nuint KVM_SET_MP_STATE = 0x4004ae99;
    public const nuint KVM_GET_VCPU_EVENTS = 0x8040ae9f;
    public const nuint KVM_SET_VCPU_EVENTS = 0x4040aea0;
    public const nuint KVM_GET_DEBUGREGS = 0x8080aea1;
    public const nuint KVM_SET_DEBUGREGS = 0x4080aea2;
    public const nuint KVM_GET_XSAVE = 0x9000aea4;
    public const nuint KVM_SET_XSAVE = 0x5000aea5;
    public const nuint KVM_GET_XCRS = 0x8188aea6;
    public const nuint KVM_SET_XCRS = 0x4188aea7;
    public const nuint KVM_GET_XSAVE2 = 0x9000aecf;
    public const nuint KVM_KVMCLOCK_CTRL = 0xaead;

    // Capabilities (KVM_CHECK_EXTENSION arguments).
    public const int KVM_CAP_IRQCHIP = 0;
    public const int KVM_CAP_USER_MEMORY = 3;
    public const int KVM_CAP_SET_TSS_ADDR = 4;
    public const int KVM_CAP_EXT_CPUID = 7;
    public const int KVM_CAP_NR_VCPUS = 9;
    public const int KVM_CAP_PIT2 = 33;
    public const int KVM_CAP_MAX_VCPUS = 66;
    public const int KVM_CAP_XSAVE = 55;
    public const int KVM_CAP_XCRS = 56;
    public const int KVM_CAP_IMMEDIATE_EXIT = 136;
    public const int KVM_CAP_EXIT_ON_EMULATION_FAILURE = 204;
    public const int KVM_CAP_XSAVE2 = 208;

    // Exit reasons (kvm_run.exit_reason).
    public const uint KVM_EXIT_IO = 2;
    public const uint KVM_EXIT_HLT = 5;
    public const uint KVM_EXIT_MMIO = 6;
    public const uint KVM_EXIT_SHUTDOWN = 8;
    public const uint KVM_EXIT_FAIL_ENTRY = 9;
    public const uint KVM_EXIT_INTR = 10;
    public const uint KVM_EXIT_INTERNAL_ERROR = 17;
    public const uint KVM_EXIT_SYSTEM_EVENT = 24;

    public const byte KVM_EXIT_IO_IN = 0;
    public const byte KVM_EXIT_IO_OUT = 1;

    public const uint KVM_INTERNAL_ERROR_EMULATION = 1;
    public const ulong KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1;

    public const uint KVM_SYSTEM_EVENT_SHUTDOWN = 1;
    public const uint KVM_SYSTEM_EVENT_RESET = 2;
    public const uint KVM_SYSTEM_EVENT_CRASH = 3;

    public const uint KVM_PIT_SPEAKER_DUMMY = 1;

    // struct kvm_irqchip chip_id values.
    public const uint KVM_IRQCHIP_PIC_MASTER = 0;
    public const uint KVM_IRQCHIP_PIC_SLAVE = 1;
    public const uint KVM_IRQCHIP_IOAPIC = 2;
}
