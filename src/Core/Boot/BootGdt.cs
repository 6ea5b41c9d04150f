using Glue.Core.Kvm.Uapi;
using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>
/// The boot GDT, laid out as Linux's boot protocol expects (__BOOT_CS = 0x10, __BOOT_DS = 0x18), plus a TSS.
/// The segment registers KVM is given are decoded from these same descriptors, so the two cannot disagree.
/// </summary>
public static class BootGdt
{
    public const ushort CodeSelector = 0x10;
    public const ushort DataSelector = 0x18;
    public const ushort TssSelector = 0x20;

    // Access byte and flags nibble (Intel SDM Vol. 3A, 3.4.5): present, DPL 0, code exec/read or data
    // read/write, accessed; G=1 with D (32-bit) or L (64-bit).
    private const ulong Code32 = 0xc09b;
    private const ulong Code64 = 0xa09b;
    private const ulong Data = 0xc093;
    private const ulong BusyTss32 = 0x008b;

    public static ulong[] Descriptors(EntryMode mode) =>
    [
        0,
        0,
        Descriptor(mode == EntryMode.Long64 ? Code64 : Code32, 0, 0xfffff),
        Descriptor(Data, 0, 0xfffff),
        // PVH asks for a 32-bit busy TSS with base 0 and limit 0x67.
        Descriptor(BusyTss32, 0, 0x67),
    ];

    /// <summary>An 8-byte segment descriptor from its flags (access byte low, flags nibble at bits 12-15), base and 20-bit limit.</summary>
    public static ulong Descriptor(ulong flags, uint @base, uint limit) =>
        ((ulong)(@base & 0xff000000) << 32)
        | ((flags & 0xf0ff) << 40)
        | ((ulong)(limit & 0xf0000) << 32)
        | ((ulong)(@base & 0x00ffffff) << 16)
        | (limit & 0xffff);

    /// <summary>The cached segment register KVM needs for a selector whose descriptor is <paramref name="descriptor"/>.</summary>
    public static kvm_segment Segment(ushort selector, ulong descriptor)
    {
        bool granular = ((descriptor >> 55) & 1) != 0;
        uint limit = (uint)((descriptor & 0xffff) | ((descriptor >> 32) & 0xf0000));
        return new kvm_segment
        {
            @base = ((descriptor >> 16) & 0xffffff) | ((descriptor >> 32) & 0xff000000),
            limit = granular ? (limit << 12) | 0xfff : limit,
            selector = selector,
            type = (byte)((descriptor >> 40) & 0xf),
            s = (byte)((descriptor >> 44) & 1),
            dpl = (byte)((descriptor >> 45) & 3),
            present = (byte)((descriptor >> 47) & 1),
            avl = (byte)((descriptor >> 52) & 1),
            l = (byte)((descriptor >> 53) & 1),
            db = (byte)((descriptor >> 54) & 1),
            g = (byte)(granular ? 1 : 0),
        };
    }

    /// <summary>Writes the GDT and an empty IDT to guest memory.</summary>
    public static void Write(GuestMemory memory, ulong[] descriptors)
    {
        for (int i = 0; i < descriptors.Length; i++) memory.Write(MemoryLayout.BootGdt.Offset((ulong)i * 8), descriptors[i]);
        memory.Write(MemoryLayout.BootIdt, 0UL);
    }
}
