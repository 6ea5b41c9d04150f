using System.Text.Json.Nodes;
using Glue.Core.Bus;
using Glue.Core.Snapshot;

namespace Glue.Devices.I8042;

/// <summary>
/// The PC keyboard controller, only as far as a guest needs it to find the controller and to reset the
/// machine: no keyboard or mouse is attached. Commands are those of Linux's drivers/input/serio/i8042.h.
/// </summary>
public sealed class I8042Controller : ISnapshotPart
{
    public const ushort DataPort = 0x60;
    public const ushort CommandPort = 0x64;

    private const byte I8042_STR_OBF = 0x01;     // output buffer full
    private const byte I8042_STR_SYSFLAG = 0x04; // self test passed
    private const byte I8042_STR_CMDDAT = 0x08;  // last write was a command

    private const byte I8042_CMD_CTL_RCTR = 0x20;
    private const byte I8042_CMD_CTL_WCTR = 0x60;
    private const byte I8042_CMD_AUX_DISABLE = 0xa7;
    private const byte I8042_CMD_AUX_ENABLE = 0xa8;
    private const byte I8042_CMD_AUX_TEST = 0xa9;
    private const byte I8042_CMD_CTL_TEST = 0xaa;
    private const byte I8042_CMD_KBD_TEST = 0xab;
    private const byte I8042_CMD_KBD_DISABLE = 0xad;
    private const byte I8042_CMD_KBD_ENABLE = 0xae;
    private const byte I8042_CMD_AUX_LOOP = 0xd3;
    private const byte I8042_CMD_AUX_SEND = 0xd4;
    private const byte ResetPulse = 0xfe;        // pulse output port bit 0: the CPU reset line

    private const byte I8042_RET_CTL_TEST = 0x55;

    private readonly object _lock = new();
    private readonly Action _reset;
    private byte _ctr = 0x01 | 0x04 | 0x40; // keyboard interrupt on, system flag, translation
    private byte _status = I8042_STR_SYSFLAG;
    private byte _output;
    private byte? _pendingCommand;

    public I8042Controller(Action reset)
    {
        _reset = reset;
        Data = new Port(this, isCommand: false);
        Command = new Port(this, isCommand: true);
    }

    /// <summary>Port 0x60: command arguments in, responses out.</summary>
    public IBusDevice Data { get; }

    /// <summary>Port 0x64: commands in, status out.</summary>
    public IBusDevice Command { get; }

    private byte ReadData()
    {
        _status &= unchecked((byte)~I8042_STR_OBF);
        return _output;
    }

    private void WriteData(byte value)
    {
        _status &= unchecked((byte)~I8042_STR_CMDDAT);
        switch (_pendingCommand)
        {
            case I8042_CMD_CTL_WCTR:
                _ctr = value;
                break;
            case I8042_CMD_AUX_LOOP:
                Respond(value);
                break;
        }
        _pendingCommand = null;
    }

    private void WriteCommand(byte command)
    {
        _status |= I8042_STR_CMDDAT;
        _pendingCommand = null;
        switch (command)
        {
            case I8042_CMD_CTL_RCTR:
                Respond(_ctr);
                break;
            case I8042_CMD_CTL_WCTR or I8042_CMD_AUX_LOOP or I8042_CMD_AUX_SEND:
                _pendingCommand = command;
                break;
            case I8042_CMD_CTL_TEST:
                Respond(I8042_RET_CTL_TEST);
                break;
            case I8042_CMD_KBD_TEST or I8042_CMD_AUX_TEST:
                Respond(0x00);
                break;
            case I8042_CMD_KBD_DISABLE:
                _ctr |= 0x10;
                break;
            case I8042_CMD_KBD_ENABLE:
                _ctr &= unchecked((byte)~0x10);
                break;
            case I8042_CMD_AUX_DISABLE:
                _ctr |= 0x20;
                break;
            case I8042_CMD_AUX_ENABLE:
                _ctr &= unchecked((byte)~0x20);
                break;
            case ResetPulse:
                _reset();
                break;
        }
    }

    /// <summary>The command byte, status, output byte and a command waiting for its argument (-1 for none).</summary>
    public JsonObject Save()
    {
        lock (_lock) return new JsonObject { ["ctr"] = _ctr, ["status"] = _status, ["output"] = _output, ["pendingCommand"] = _pendingCommand ?? -1 };
    }

    public void Restore(JsonObject state)
    {
        byte ctr = state.U8("ctr"), status = state.U8("status"), output = state.U8("output");
        long pending = state.I64("pendingCommand") is var number and >= -1 and <= byte.MaxValue
            ? number : throw new SnapshotException("'pendingCommand' is not -1 or a byte");
        lock (_lock) (_ctr, _status, _output, _pendingCommand) = (ctr, status, output, pending < 0 ? null : (byte)pending);
    }

    private void Respond(byte value)
    {
        _output = value;
        _status |= I8042_STR_OBF;
    }

    /// <summary>One of the controller's two ports on the bus.</summary>
    private sealed class Port(I8042Controller controller, bool isCommand) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data)
        {
            data.Clear();
            if (data.Length == 0) return;
            lock (controller._lock) data[0] = isCommand ? controller._status : controller.ReadData();
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (data.Length == 0) return;
            lock (controller._lock)
            {
                if (isCommand) controller.WriteCommand(data[0]);
                else controller.WriteData(data[0]);
            }
        }
    }
}
