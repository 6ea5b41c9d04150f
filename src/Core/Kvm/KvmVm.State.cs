using Glue.Core.Interop;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Kvm;

/// <summary>The VM state ioctls a snapshot saves and restores: the in-kernel irqchip, the PIT and the kvmclock base.</summary>
public sealed unsafe partial class KvmVm
{
    /// <summary>KVM_GET_IRQCHIP: struct kvm_irqchip for <paramref name="chipId"/> (KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC).</summary>
    public byte[] GetIrqChip(uint chipId)
    {
        var chip = new byte[KvmStateSizes.kvm_irqchip];
        fixed (byte* p = chip)
        {
            *(uint*)p = chipId;
            Check(Libc.Ioctl(_fd.Fd, KVM_GET_IRQCHIP, p), "KVM_GET_IRQCHIP");
        }
        return chip;
    }

    /// <summary>KVM_SET_IRQCHIP: the chip is the one struct kvm_irqchip's chip_id names.</summary>
    public void SetIrqChip(ReadOnlySpan<byte> chip) => Write(KVM_SET_IRQCHIP, chip, KvmStateSizes.kvm_irqchip, "KVM_SET_IRQCHIP");

    public byte[] GetPit2() => Read(KVM_GET_PIT2, KvmStateSizes.kvm_pit_state2, "KVM_GET_PIT2");

    public void SetPit2(ReadOnlySpan<byte> pit) => Write(KVM_SET_PIT2, pit, KvmStateSizes.kvm_pit_state2, "KVM_SET_PIT2");

    public byte[] GetClock() => Read(KVM_GET_CLOCK, KvmStateSizes.kvm_clock_data, "KVM_GET_CLOCK");

    /// <summary>KVM_SET_CLOCK with the flags cleared: the guest's kvmclock continues from the saved value, the time the VM was away unseen.</summary>
    public void SetClock(ReadOnlySpan<byte> clock)
    {
        Span<byte> data = stackalloc byte[KvmStateSizes.kvm_clock_data];
        if (clock.Length != data.Length) throw new ArgumentException($"kvm_clock_data is {data.Length} bytes, not {clock.Length}");
        clock[..KvmStateSizes.kvm_clock_data_flags].CopyTo(data);
        Write(KVM_SET_CLOCK, data, KvmStateSizes.kvm_clock_data, "KVM_SET_CLOCK");
    }

    private byte[] Read(nuint request, int size, string name)
    {
        var bytes = new byte[size];
        fixed (byte* p = bytes) Check(Libc.Ioctl(_fd.Fd, request, p), name);
        return bytes;
    }

    private void Write(nuint request, ReadOnlySpan<byte> bytes, int size, string name)
    {
        if (bytes.Length != size) throw new ArgumentException($"{name} takes {size} bytes, not {bytes.Length}");
        fixed (byte* p = bytes) Check(Libc.Ioctl(_fd.Fd, request, p), name);
    }
}
