using Glue.Core.Machine;
using Glue.Devices.Serial;
using Xunit;

namespace Glue.Tests.Devices;

public sealed class Uart16550Tests
{
    // Register offsets and bits as in include/uapi/linux/serial_reg.h.
    private const ulong RX = 0, TX = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

    private sealed class RecordingLine : IInterruptLine
    {
        public readonly List<bool> Levels = [];
        public uint Gsi => 4;
        public bool Level => Levels.Count > 0 && Levels[^1];
        public void Set(bool level) => Levels.Add(level);
    }

    private readonly RecordingLine _irq = new();
    private readonly MemoryStream _output = new();
    private readonly Uart16550 _uart;

    public Uart16550Tests() => _uart = new Uart16550(_irq, _output);

    private byte Read(ulong register)
    {
        Span<byte> data = stackalloc byte[1];
        _uart.Read(register, data);
        return data[0];
    }

    private void Write(ulong register, byte value) => _uart.Write(register, [value]);

    [Fact]
    public void Bytes_written_to_thr_go_to_the_output_and_lsr_always_shows_thr_empty()
    {
        foreach (byte b in "hi\n"u8) Write(TX, b);
        Assert.Equal("hi\n"u8.ToArray(), _output.ToArray());
        Assert.Equal(0x60, Read(LSR) & 0x60);
    }

    [Fact]
    public void With_dlab_set_the_first_two_registers_are_the_divisor_latch()
    {
        Write(LCR, 0x83);
        Write(DLL, 0x01);
        Write(DLM, 0x02);
        Assert.Equal(0x01, Read(DLL));
        Assert.Equal(0x02, Read(DLM));
        Assert.Empty(_output.ToArray());
        Write(LCR, 0x03);
        Write(IER, 0x00);
        Assert.Equal(0x00, Read(IER));
        Assert.Equal(0x03, Read(LCR));
    }

    [Fact]
    public void Received_bytes_set_data_ready_and_are_read_in_order()
    {
        _uart.Receive("ab"u8);
        Assert.Equal(0x01, Read(LSR) & 0x01);
        Assert.Equal((byte)'a', Read(RX));
        Assert.Equal((byte)'b', Read(RX));
        Assert.Equal(0x00, Read(LSR) & 0x01);
    }

    [Fact]
    public void Receive_data_interrupt_rises_only_when_enabled_and_out2_is_set_and_falls_when_drained()
    {
        _uart.Receive("x"u8);
        Assert.False(_irq.Level);
        Write(IER, 0x01);
        Assert.False(_irq.Level); // OUT2 gates the line on a PC
        Write(MCR, 0x08);
        Assert.True(_irq.Level);
        Assert.Equal(0x04, Read(IIR) & 0x0f);
        Read(RX);
        Assert.False(_irq.Level);
        Assert.Equal(0x01, Read(IIR) & 0x0f);
    }

    [Fact]
    public void Thr_empty_interrupt_is_raised_on_enable_and_acknowledged_by_reading_iir()
    {
        Write(MCR, 0x08);
        Write(IER, 0x02);
        Assert.True(_irq.Level);
        Assert.Equal(0x02, Read(IIR) & 0x0f);
        Assert.False(_irq.Level);
        Assert.Equal(0x01, Read(IIR) & 0x0f);
        Write(TX, (byte)'z'); // sent at once, so THR is empty again
        Assert.True(_irq.Level);
    }

    [Fact]
    public void Iir_reports_fifo_enabled_in_its_top_bits_like_a_16550a()
    {
        Assert.Equal(0x00, Read(IIR) & 0xc0);
        Write(FCR, 0x01);
        Assert.Equal(0xc0, Read(IIR) & 0xc0);
    }

    [Fact]
    public void Loopback_returns_sent_bytes_and_mirrors_modem_lines()
    {
        Write(MCR, 0x10 | 0x0f);
        Write(TX, 0x5a);
        Assert.Empty(_output.ToArray());
        Assert.Equal(0x5a, Read(RX));
        Assert.Equal(0xf0, Read(MSR));
        Write(MCR, 0x10);
        Assert.Equal(0x00, Read(MSR));
        Write(MCR, 0x00);
        Assert.Equal(0xb0, Read(MSR));
    }

    [Fact]
    public void The_scratch_register_keeps_its_value() { Write(SCR, 0xa5); Assert.Equal(0xa5, Read(SCR)); }

    [Fact]
    public void Clearing_the_receive_fifo_drops_pending_bytes()
    {
        _uart.Receive("abc"u8);
        Write(FCR, 0x03);
        Assert.Equal(0x00, Read(LSR) & 0x01);
    }
}
