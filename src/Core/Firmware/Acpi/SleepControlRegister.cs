using Glue.Core.Bus;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The hardware-reduced sleep registers (ACPI 6.5, 4.8.3.7): SLEEP_CONTROL_REG and SLEEP_STATUS_REG, which the FADT
/// places at the same byte of port space, <see cref="Port"/>; their bits do not overlap. Linux's
/// acpi_hw_extended_sleep clears WAK_STS, writes (SLP_TYP &lt;&lt; 2) | SLP_EN and then polls for WAK_STS.
/// SLP_TYP <see cref="S5SleepType"/>, the \_S5_ value of the DSDT, powers off: WAK_STS stays clear, since S5
/// never wakes, and the guest polls until the VM is gone. Any other sleep state is not supported, so the machine
/// wakes at once: WAK_STS is set and the guest carries on.
/// </summary>
public sealed class SleepControlRegister(Action powerOff) : IBusDevice
{
    /// <summary>The port of both registers: above the ISA range, clear of every port Glue's devices use.</summary>
    public const ushort Port = 0x600;
    public const int Length = 1;

    /// <summary>The SLP_TYP of S5 (soft off) in the DSDT's \_S5_ package; the number is ours to choose (7.4.2).</summary>
    public const byte S5SleepType = 5;

    // Sleep Control Register (4.8.3.7.1) and Sleep Status Register (4.8.3.7.2) bits.
    private const byte SLP_TYP_MASK = 0x1c, SLP_TYP_SHIFT = 2, SLP_EN = 0x20;
    private const byte WAK_STS = 0x80;

    private readonly object _lock = new();
    private bool _wakeStatus;

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (data.Length == 0) return;
        lock (_lock) data[0] = _wakeStatus ? WAK_STS : (byte)0;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        byte value = data[0];
        bool off = false;
        lock (_lock)
        {
            // WAK_STS is write-1-to-clear.
            if ((value & WAK_STS) != 0) _wakeStatus = false;
            if ((value & SLP_EN) != 0)
            {
                off = (value & SLP_TYP_MASK) >> SLP_TYP_SHIFT == S5SleepType;
                _wakeStatus = !off;
            }
        }
        // Outside the lock: the VM's power-off may stop vCPUs that are about to read this register.
        if (off) powerOff();
    }
}
