using Glue.Core.Terminal;
using Xunit;

namespace Glue.Tests.Core;

public sealed class ConsoleEscapeTests
{
    [Fact]
    public void Ctrl_a_x_quits_and_nothing_after_it_is_forwarded()
    {
        int quits = 0;
        var filter = HostConsoleFilter(() => quits++);
        var output = new byte[16];
        int count = filter("ab\x01xcd"u8, output);
        Assert.Equal(1, quits);
        Assert.Equal("ab"u8.ToArray(), output[..count]);
    }

    [Fact]
    public void Ctrl_a_twice_sends_one_ctrl_a_and_other_keys_pass_through()
    {
        int quits = 0;
        var filter = HostConsoleFilter(() => quits++);
        var output = new byte[16];
        int count = filter("\x01\x01q\x01y"u8, output);
        Assert.Equal(0, quits);
        Assert.Equal("\x01q\x01y"u8.ToArray(), output[..count]);
    }

    [Fact]
    public void The_escape_may_be_split_across_reads()
    {
        int quits = 0;
        var filter = HostConsoleFilter(() => quits++);
        var output = new byte[4];
        Assert.Equal(0, filter("\x01"u8, output));
        filter("x"u8, output);
        Assert.Equal(1, quits);
    }

    private delegate int Filter(ReadOnlySpan<byte> input, Span<byte> output);

    private static Filter HostConsoleFilter(Action onQuit) => new ConsoleEscape(onQuit).Filter;
}
