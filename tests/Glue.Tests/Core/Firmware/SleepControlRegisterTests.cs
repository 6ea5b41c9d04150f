using Glue.Core.Firmware.Acpi;
using Xunit;

namespace Glue.Tests.Core.Firmware;

public sealed class SleepControlRegisterTests
{
    private const byte SLP_EN = 0x20, WAK_STS = 0x80;
    private int _powerOffs;
    private readonly SleepControlRegister _register;

    public SleepControlRegisterTests() => _register = new SleepControlRegister(() => _powerOffs++);

    private byte Status()
    {
        Span<byte> data = stackalloc byte[1];
        _register.Read(0, data);
        return data[0];
    }

    private static byte Control(int sleepType) => (byte)(sleepType << 2 | SLP_EN);

    [Fact]
    public void Linux_powering_off_clears_wak_sts_then_writes_slp_typ_s5_with_slp_en()
    {
        _register.Write(0, [WAK_STS]);
        Assert.Equal(0, _powerOffs);
        _register.Write(0, [Control(SleepControlRegister.S5SleepType)]);
        Assert.Equal(1, _powerOffs);
        Assert.Equal(0, Status()); // S5 does not wake: the guest polls until the VM is gone
    }

    [Fact]
    public void Slp_typ_s5_without_slp_en_does_nothing()
    {
        _register.Write(0, [(byte)(SleepControlRegister.S5SleepType << 2)]);
        Assert.Equal(0, _powerOffs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Another_sleep_type_wakes_at_once_with_wak_sts_set(int sleepType)
    {
        _register.Write(0, [Control(sleepType)]);
        Assert.Equal(0, _powerOffs);
        Assert.Equal(WAK_STS, Status());
        _register.Write(0, [WAK_STS]);
        Assert.Equal(0, Status());
    }

    [Fact]
    public void The_status_reads_clear_after_power_on_and_fills_wider_reads_with_zeros()
    {
        Span<byte> data = [0xff, 0xff, 0xff, 0xff];
        _register.Read(0, data);
        Assert.Equal(new byte[4], data.ToArray());
    }
}
