using Glue.Devices.I8042;
using Xunit;

namespace Glue.Tests.Devices;

public sealed class I8042ControllerTests
{
    private int _resets;
    private readonly I8042Controller _controller;

    public I8042ControllerTests() => _controller = new I8042Controller(() => _resets++);

    private byte Status() { Span<byte> d = stackalloc byte[1]; _controller.Command.Read(0, d); return d[0]; }
    private byte Data() { Span<byte> d = stackalloc byte[1]; _controller.Data.Read(0, d); return d[0]; }

    [Fact]
    public void Writing_0xfe_to_the_command_port_resets_the_machine()
    {
        _controller.Command.Write(0, [0xfe]);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Other_commands_do_not_reset()
    {
        foreach (byte command in new byte[] { 0x20, 0xaa, 0xad, 0xae, 0xa7, 0xa8 }) _controller.Command.Write(0, [command]);
        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Self_test_answers_0x55_through_the_output_buffer()
    {
        Assert.Equal(0, Status() & 0x01);
        _controller.Command.Write(0, [0xaa]);
        Assert.Equal(1, Status() & 0x01);
        Assert.Equal(0x55, Data());
        Assert.Equal(0, Status() & 0x01);
    }

    [Fact]
    public void The_control_register_is_written_and_read_back()
    {
        _controller.Command.Write(0, [0x60]);
        _controller.Data.Write(0, [0x47]);
        _controller.Command.Write(0, [0x20]);
        Assert.Equal(0x47, Data());
    }
}
