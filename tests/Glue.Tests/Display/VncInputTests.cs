using Glue.Display;
using Glue.Display.Vnc;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>KeyEvent and PointerEvent (RFC 6143 §7.5.4, §7.5.5) reach the display's input sinks as Linux codes, in order.</summary>
public class VncInputTests
{
    private sealed class RecordingSink : IInputSink
    {
        public List<string> Events { get; } = [];

        public void Key(ushort code, bool pressed)
        {
            lock (Events) Events.Add($"key {code} {(pressed ? "down" : "up")}");
        }

        public void Pointer(int x, int y, int width, int height, PointerButtons buttons)
        {
            lock (Events) Events.Add($"pointer {x},{y} of {width}x{height} {buttons}");
        }

        public string[] WaitFor(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < deadline)
            {
                lock (Events) if (Events.Count >= count) return [.. Events];
                Thread.Sleep(10);
            }
            lock (Events) return [.. Events];
        }
    }

    [Fact]
    public void Keys_and_pointer_arrive_as_linux_events_in_the_order_sent()
    {
        using var server = new VncTestServer(width: 320, height: 200);
        var sink = new RecordingSink();
        server.Display.AddInput(sink);
        using var client = server.Connect();

        client.Key(0xffe1, true);   // Shift_L
        client.Key('A', true);
        client.Key('A', false);
        client.Key(0xffe1, false);
        client.Pointer(10, 20, 0);
        client.Pointer(300, 199, 1);
        client.Key(0xff0d, true);   // Return
        client.Key(0xff0d, false);
        client.Key(0x10ffff, true); // no key: dropped
        client.Pointer(0, 0, 4 | 16);

        Assert.Equal(
        [
            "key 42 down", "key 30 down", "key 30 up", "key 42 up",
            "pointer 10,20 of 320x200 None", "pointer 300,199 of 320x200 Left",
            "key 28 down", "key 28 up",
            "pointer 0,0 of 320x200 Right, WheelDown",
        ], sink.WaitFor(9));
    }

    [Theory]
    [InlineData('a', 30)]
    [InlineData('z', 44)]
    [InlineData('Q', 16)]
    [InlineData('1', 2)]
    [InlineData('9', 10)]
    [InlineData('0', 11)]
    [InlineData('!', 2)]
    [InlineData(')', 11)]
    [InlineData('-', 12)]
    [InlineData('=', 13)]
    [InlineData('[', 26)]
    [InlineData(']', 27)]
    [InlineData(';', 39)]
    [InlineData('\'', 40)]
    [InlineData('`', 41)]
    [InlineData('\\', 43)]
    [InlineData(',', 51)]
    [InlineData('.', 52)]
    [InlineData('/', 53)]
    [InlineData('?', 53)]
    [InlineData(' ', 57)]
    [InlineData(0xff1b, 1)]   // Escape
    [InlineData(0xff08, 14)]  // BackSpace
    [InlineData(0xff09, 15)]  // Tab
    [InlineData(0xff0d, 28)]  // Return
    [InlineData(0xffe3, 29)]  // Control_L
    [InlineData(0xffe4, 97)]  // Control_R
    [InlineData(0xffe9, 56)]  // Alt_L
    [InlineData(0xffea, 100)] // Alt_R
    [InlineData(0xffe2, 54)]  // Shift_R
    [InlineData(0xffeb, 125)] // Super_L
    [InlineData(0xffbe, 59)]  // F1
    [InlineData(0xffc7, 68)]  // F10
    [InlineData(0xffc8, 87)]  // F11
    [InlineData(0xffc9, 88)]  // F12
    [InlineData(0xff52, 103)] // Up
    [InlineData(0xff51, 105)] // Left
    [InlineData(0xff53, 106)] // Right
    [InlineData(0xff54, 108)] // Down
    [InlineData(0xff50, 102)] // Home
    [InlineData(0xff57, 107)] // End
    [InlineData(0xff55, 104)] // Prior
    [InlineData(0xff56, 109)] // Next
    [InlineData(0xff63, 110)] // Insert
    [InlineData(0xffff, 111)] // Delete
    [InlineData(0xff8d, 96)]  // KP_Enter
    [InlineData(0xffb0, 82)]  // KP_0
    [InlineData(0xffb7, 71)]  // KP_7
    [InlineData(0x20ac, 0)]   // EuroSign: no key on a US keyboard
    public void A_keysym_maps_to_its_linux_key_code(int keysym, int code)
    {
        Assert.Equal(code, KeysymMap.ToLinuxKey((uint)keysym));
    }
}
