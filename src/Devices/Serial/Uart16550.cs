using System.Text.Json.Nodes;
using Glue.Core.Bus;
using Glue.Core.Machine;
using Glue.Core.Snapshot;

namespace Glue.Devices.Serial;

/// <summary>
/// An 8250/16550A UART with the registers Linux's 8250 driver uses. Names and bits are those of
/// include/uapi/linux/serial_reg.h. Transmit is instant (THR is always empty); received bytes wait in a
/// FIFO; the interrupt line follows the pending interrupt, gated by MCR OUT2 as on a PC.
/// </summary>
public sealed class Uart16550 : IBusDevice, ISnapshotPart
{
    public const int RegisterCount = 8;

    private const int UART_RX = 0, UART_TX = 0, UART_DLL = 0;
    private const int UART_IER = 1, UART_DLM = 1;
    private const int UART_IIR = 2, UART_FCR = 2;
    private const int UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7;

    private const byte UART_IER_RDI = 0x01, UART_IER_THRI = 0x02, UART_IER_RLSI = 0x04, UART_IER_MSI = 0x08;
    private const byte UART_IIR_NO_INT = 0x01, UART_IIR_THRI = 0x02, UART_IIR_RDI = 0x04, UART_IIR_RLSI = 0x06;
    private const byte UART_IIR_FIFO_ENABLED = 0xc0;
    private const byte UART_FCR_ENABLE_FIFO = 0x01, UART_FCR_CLEAR_RCVR = 0x02;
    private const byte UART_LCR_DLAB = 0x80;
    private const byte UART_MCR_DTR = 0x01, UART_MCR_RTS = 0x02, UART_MCR_OUT1 = 0x04, UART_MCR_OUT2 = 0x08, UART_MCR_LOOP = 0x10;
    private const byte UART_LSR_DR = 0x01, UART_LSR_OE = 0x02, UART_LSR_THRE = 0x20, UART_LSR_TEMT = 0x40;
    private const byte UART_MSR_CTS = 0x10, UART_MSR_DSR = 0x20, UART_MSR_RI = 0x40, UART_MSR_DCD = 0x80;

    /// <summary>Bytes the host may queue ahead of the guest before <see cref="Receive"/> waits.</summary>
    public const int ReceiveCapacity = 1024;

    private readonly object _lock = new();
    private readonly IInterruptLine _irq;
    private readonly Stream _output;
    private readonly Queue<byte> _received = new();
    private byte _ier, _lcr, _mcr, _scr, _dll = 0x0c, _dlm;
    private bool _fifoEnabled, _overrun, _transmitEmptyPending, _irqLevel;

    public Uart16550(IInterruptLine irq, Stream output)
    {
        _irq = irq;
        _output = output;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (data.Length == 0) return;
        lock (_lock)
        {
            data[0] = ReadRegister((int)offset);
            UpdateInterrupt();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        lock (_lock)
        {
            WriteRegister((int)offset, data[0]);
            UpdateInterrupt();
        }
    }

    /// <summary>Bytes from the host for the guest to read; waits while the FIFO is full.</summary>
    public void Receive(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            foreach (byte b in bytes)
            {
                while (_received.Count >= ReceiveCapacity) Monitor.Wait(_lock);
                _received.Enqueue(b);
            }
            UpdateInterrupt();
        }
    }

    /// <summary>The registers and the bytes the guest has not read yet; the line is raised again on restore if an interrupt is pending.</summary>
    public JsonObject Save()
    {
        lock (_lock)
        {
            return new JsonObject
            {
                ["ier"] = _ier, ["lcr"] = _lcr, ["mcr"] = _mcr, ["scr"] = _scr, ["dll"] = _dll, ["dlm"] = _dlm,
                ["fifoEnabled"] = _fifoEnabled, ["overrun"] = _overrun, ["transmitEmptyPending"] = _transmitEmptyPending,
                ["received"] = Convert.ToBase64String(_received.ToArray()),
            };
        }
    }

    public void Restore(JsonObject state)
    {
        byte[] received = state.Bytes("received");
        if (received.Length > ReceiveCapacity) throw new SnapshotException($"'received' holds {received.Length} bytes, more than the {ReceiveCapacity} the FIFO takes");
        byte ier = state.U8("ier"), lcr = state.U8("lcr"), mcr = state.U8("mcr"), scr = state.U8("scr"), dll = state.U8("dll"), dlm = state.U8("dlm");
        bool fifoEnabled = state.Bool("fifoEnabled"), overrun = state.Bool("overrun"), transmitEmptyPending = state.Bool("transmitEmptyPending");
        lock (_lock)
        {
            (_ier, _lcr, _mcr, _scr, _dll, _dlm) = (ier, lcr, mcr, scr, dll, dlm);
            (_fifoEnabled, _overrun, _transmitEmptyPending) = (fifoEnabled, overrun, transmitEmptyPending);
            _received.Clear();
            foreach (byte b in received) _received.Enqueue(b);
            _irqLevel = false;
            UpdateInterrupt();
        }
    }

    private bool Dlab => (_lcr & UART_LCR_DLAB) != 0;

    private byte ReadRegister(int register)
    {
        switch (register)
        {
            case UART_RX when Dlab:
                return _dll;
            case UART_RX:
                if (!_received.TryDequeue(out byte b)) return 0;
                Monitor.PulseAll(_lock);
                return b;
            case UART_IER:
                return Dlab ? _dlm : _ier;
            case UART_IIR:
                byte iir = PendingInterrupt();
                // Reading IIR while it reports THR empty acknowledges that interrupt.
                if (iir == UART_IIR_THRI) _transmitEmptyPending = false;
                return (byte)(iir | (_fifoEnabled ? UART_IIR_FIFO_ENABLED : 0));
            case UART_LCR:
                return _lcr;
            case UART_MCR:
                return _mcr;
            case UART_LSR:
                byte lsr = (byte)(UART_LSR_THRE | UART_LSR_TEMT | (_received.Count > 0 ? UART_LSR_DR : 0) | (_overrun ? UART_LSR_OE : 0));
                _overrun = false;
                return lsr;
            case UART_MSR:
                return ModemStatus();
            case UART_SCR:
                return _scr;
            default:
                return 0xff;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case UART_DLL when Dlab:
                _dll = value;
                break;
            case UART_TX:
                Transmit(value);
                break;
            case UART_DLM when Dlab:
                _dlm = value;
                break;
            case UART_IER:
                // Enabling the THR-empty interrupt while THR is empty raises it at once.
                if ((value & UART_IER_THRI) != 0 && (_ier & UART_IER_THRI) == 0) _transmitEmptyPending = true;
                _ier = (byte)(value & (UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI));
                break;
            case UART_FCR:
                _fifoEnabled = (value & UART_FCR_ENABLE_FIFO) != 0;
                if ((value & UART_FCR_CLEAR_RCVR) != 0)
                {
                    _received.Clear();
                    Monitor.PulseAll(_lock);
                }
                break;
            case UART_LCR:
                _lcr = value;
                break;
            case UART_MCR:
                _mcr = (byte)(value & 0x1f);
                break;
            case UART_SCR:
                _scr = value;
                break;
        }
    }

    private void Transmit(byte value)
    {
        if ((_mcr & UART_MCR_LOOP) != 0)
        {
            // Loopback: what is sent comes straight back in, as Linux's port probe expects.
            if (_received.Count < ReceiveCapacity) _received.Enqueue(value);
            else _overrun = true;
        }
        else
        {
            _output.WriteByte(value);
        }
        _transmitEmptyPending = true;
    }

    private byte ModemStatus()
    {
        if ((_mcr & UART_MCR_LOOP) == 0) return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
        // In loopback the modem outputs feed the modem inputs.
        byte msr = 0;
        if ((_mcr & UART_MCR_RTS) != 0) msr |= UART_MSR_CTS;
        if ((_mcr & UART_MCR_DTR) != 0) msr |= UART_MSR_DSR;
        if ((_mcr & UART_MCR_OUT1) != 0) msr |= UART_MSR_RI;
        if ((_mcr & UART_MCR_OUT2) != 0) msr |= UART_MSR_DCD;
        return msr;
    }

    /// <summary>The highest-priority enabled interrupt, as an IIR identification value.</summary>
    private byte PendingInterrupt()
    {
        if ((_ier & UART_IER_RLSI) != 0 && _overrun) return UART_IIR_RLSI;
        if ((_ier & UART_IER_RDI) != 0 && _received.Count > 0) return UART_IIR_RDI;
        if ((_ier & UART_IER_THRI) != 0 && _transmitEmptyPending) return UART_IIR_THRI;
        return UART_IIR_NO_INT;
    }

    private void UpdateInterrupt()
    {
        bool level = PendingInterrupt() != UART_IIR_NO_INT && (_mcr & UART_MCR_OUT2) != 0;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _irq.Set(level);
    }
}
