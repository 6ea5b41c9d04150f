using System.Text;
using Glue.Core.Devices;
using Glue.Core.Memory;
using Glue.Devices.Input;
using Glue.Display;
using Glue.Tests.Virtio;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Devices.Input.InputEventCodes;
using static Glue.Devices.Input.VirtioInput;

namespace Glue.Tests.Devices.Input;

public sealed class InputDeviceTests : VirtioTestBase
{
    private const ulong EventBuffers = Buffers, StatusBuffers = Buffers + 0x10000;
    private readonly EventLoop _loop = new("input-test");
    private readonly FakeInterrupts _interrupts = new();

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }

    private static VirtioInputEvent Syn => new(EV_SYN, SYN_REPORT, 0);

    /// <summary>The device started on its I/O thread with both queues, as the transport does at DRIVER_OK.</summary>
    private (MockSplitQueue Events, MockSplitQueue Status) Start(InputDevice device)
    {
        var events = new MockSplitQueue(Memory, 64, 0x1000);
        var status = new MockSplitQueue(Memory, 8, 0x3000);
        var queues = new[] { events.CreateQueue(), status.CreateQueue() };
        _loop.Invoke(() => device.Activate(new VirtioActivation(Memory, VirtioFeatures.Core, queues, _interrupts, _loop, _ => { })));
        return (events, status);
    }

    /// <summary>Posts <paramref name="count"/> 8-byte event buffers and kicks the eventq.</summary>
    private void PostEventBuffers(InputDevice device, MockSplitQueue events, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ushort slot = (ushort)((events.AvailIdx) % events.Size);
            events.AddChain((EventBuffers + slot * 8UL, 8, true));
        }
        _loop.Invoke(() => device.QueueNotify(EventQueue));
    }

    /// <summary>Waits for <paramref name="count"/> used events and reads them in used-ring order.</summary>
    private List<VirtioInputEvent> Received(MockSplitQueue events, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (events.UsedIdx < count && DateTime.UtcNow < deadline) Thread.Sleep(1);
        Assert.Equal(count, events.UsedIdx);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var (id, len) = events.UsedElement(i);
            Assert.Equal(8u, len);
            return Memory.Read<VirtioInputEvent>(new GuestAddress(EventBuffers + id * 8UL));
        })];
    }

    private static string ConfigString(InputDevice device, byte select, ushort subsel, out int size)
    {
        device.WriteConfig(ConfigSelect, [select]);
        device.WriteConfig(ConfigSubsel, [(byte)subsel]);
        var config = new byte[ConfigBytes];
        device.ReadConfig(0, config);
        size = config[ConfigSize];
        return Encoding.ASCII.GetString(config, ConfigUnion, size);
    }

    private static byte[] ConfigUnionBytes(InputDevice device, byte select, ushort subsel)
    {
        ConfigString(device, select, subsel, out int size);
        var union = new byte[size];
        device.ReadConfig(ConfigUnion, union);
        return union;
    }

    private static List<int> Bits(byte[] bitmap) => [.. Enumerable.Range(0, bitmap.Length * 8).Where(b => (bitmap[b / 8] & 1 << b % 8) != 0)];

    [Fact]
    public void The_keyboard_config_names_it_and_lists_its_keys_leds_and_repeat()
    {
        using var keyboard = new KeyboardDevice();
        Assert.Equal(VirtioIds.VIRTIO_ID_INPUT, keyboard.DeviceId);
        Assert.Equal(136, keyboard.ConfigSize);
        Assert.Equal("Glue Virtio Keyboard", ConfigString(keyboard, VIRTIO_INPUT_CFG_ID_NAME, 0, out _));
        Assert.Equal("glue-keyboard", ConfigString(keyboard, VIRTIO_INPUT_CFG_ID_SERIAL, 0, out _));
        Assert.Equal([.. Enumerable.Range(KEY_ESC, KEY_MICMUTE)], Bits(ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY)));
        Assert.Equal([LED_NUML, LED_CAPSL, LED_SCROLLL], Bits(ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_EV_BITS, EV_LED)));
        Assert.Equal([0], ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_EV_BITS, EV_REP));
        Assert.Empty(ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS));
        Assert.Empty(ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_PROP_BITS, 0));
        var ids = ConfigUnionBytes(keyboard, VIRTIO_INPUT_CFG_ID_DEVIDS, 0);
        Assert.Equal(new byte[] { (byte)BUS_VIRTUAL, 0, 0, 0, 1, 0, 1, 0 }, ids);
    }

    [Fact]
    public void The_tablet_config_gives_its_axes_0_to_32767_buttons_and_wheel()
    {
        using var tablet = new TabletDevice();
        Assert.Equal("Glue Virtio Tablet", ConfigString(tablet, VIRTIO_INPUT_CFG_ID_NAME, 0, out _));
        Assert.Equal([ABS_X, ABS_Y], Bits(ConfigUnionBytes(tablet, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS)));
        Assert.Equal([BTN_LEFT, BTN_RIGHT, BTN_MIDDLE], Bits(ConfigUnionBytes(tablet, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY)));
        Assert.Equal([REL_WHEEL], Bits(ConfigUnionBytes(tablet, VIRTIO_INPUT_CFG_EV_BITS, EV_REL)));
        foreach (ushort axis in new[] { ABS_X, ABS_Y })
        {
            var info = ConfigUnionBytes(tablet, VIRTIO_INPUT_CFG_ABS_INFO, axis);
            Assert.Equal(20, info.Length);
            Assert.Equal((0u, 32767u), (BitConverter.ToUInt32(info, 0), BitConverter.ToUInt32(info, 4)));
        }
        Assert.Empty(ConfigUnionBytes(tablet, VIRTIO_INPUT_CFG_ABS_INFO, 2));
    }

    [Theory]
    [InlineData(VIRTIO_INPUT_CFG_UNSET, 0)]
    [InlineData(VIRTIO_INPUT_CFG_ID_NAME, 1)]       // names have no subsel
    [InlineData(VIRTIO_INPUT_CFG_EV_BITS, 0x1f)]    // a type it does not send
    [InlineData(0x7f, 0)]                           // no such selection
    public void A_selection_with_nothing_to_say_has_size_0_and_a_zero_union(byte select, byte subsel)
    {
        using var tablet = new TabletDevice();
        ConfigString(tablet, VIRTIO_INPUT_CFG_ID_NAME, 0, out _);
        ConfigString(tablet, select, subsel, out int size);
        Assert.Equal(0, size);
        var union = new byte[128];
        tablet.ReadConfig(ConfigUnion, union);
        Assert.All(union, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Writes_to_size_and_the_union_are_ignored()
    {
        using var keyboard = new KeyboardDevice();
        ConfigString(keyboard, VIRTIO_INPUT_CFG_ID_NAME, 0, out int before);
        keyboard.WriteConfig(ConfigSize, [99]);
        keyboard.WriteConfig(ConfigUnion, [0x41, 0x41]);
        Assert.Equal("Glue Virtio Keyboard", ConfigString(keyboard, VIRTIO_INPUT_CFG_ID_NAME, 0, out int after));
        Assert.Equal(before, after);
    }

    [Fact]
    public void Keys_arrive_in_order_each_followed_by_a_syn_report()
    {
        using var keyboard = new KeyboardDevice();
        var (events, _) = Start(keyboard);
        PostEventBuffers(keyboard, events, 8);
        keyboard.Key(KEY_A, true);
        keyboard.Key(KEY_A, false);
        keyboard.Key(KEY_ESC, true);
        keyboard.Pointer(1, 2, 10, 10, PointerButtons.Left);   // not the keyboard's: nothing
        keyboard.Key(KEY_ESC, false);

        Assert.Equal([
            new(EV_KEY, KEY_A, 1), Syn, new(EV_KEY, KEY_A, 0), Syn,
            new(EV_KEY, KEY_ESC, 1), Syn, new(EV_KEY, KEY_ESC, 0), Syn,
        ], Received(events, 8));
        Assert.Contains(EventQueue, _interrupts.UsedBuffers);
    }

    [Fact]
    public void Events_wait_for_buffers_and_then_arrive_in_order()
    {
        using var keyboard = new KeyboardDevice();
        var (events, _) = Start(keyboard);
        for (ushort code = 2; code < 12; code++) keyboard.Key(code, true);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (keyboard.PendingEvents < 20 && DateTime.UtcNow < deadline) Thread.Sleep(1);
        Assert.Equal(20, keyboard.PendingEvents);
        Assert.Equal(0, events.UsedIdx);

        PostEventBuffers(keyboard, events, 5);
        PostEventBuffers(keyboard, events, 15);
        var received = Received(events, 20);
        Assert.Equal(Enumerable.Range(2, 10).SelectMany(code => new VirtioInputEvent[] { new(EV_KEY, (ushort)code, 1), Syn }), received);
        Assert.Equal(0, keyboard.PendingEvents);
    }

    [Fact]
    public void A_guest_that_takes_nothing_loses_whole_reports_beyond_the_bound()
    {
        using var keyboard = new KeyboardDevice();
        var (events, _) = Start(keyboard);
        for (int i = 0; i < 600; i++) keyboard.Key(KEY_A, i % 2 == 0);
        Assert.Equal(InputEventRing.Capacity, keyboard.PendingEvents);
        Assert.Equal(600 - InputEventRing.Capacity / 2, keyboard.DroppedReports);

        PostEventBuffers(keyboard, events, 4);
        Assert.Equal([new(EV_KEY, KEY_A, 1), Syn, new(EV_KEY, KEY_A, 0), Syn], Received(events, 4));
    }

    [Fact]
    public void Input_before_the_driver_is_ready_or_after_a_reset_is_dropped()
    {
        using var keyboard = new KeyboardDevice();
        keyboard.Key(KEY_A, true);
        var (events, _) = Start(keyboard);
        Assert.Equal(0, keyboard.PendingEvents);
        keyboard.Key(KEY_A, false);
        _loop.Invoke(keyboard.Reset);
        Assert.Equal(0, keyboard.PendingEvents);
        keyboard.Key(KEY_ESC, true);
        Assert.Equal(0, keyboard.PendingEvents);
        Assert.Equal(0, events.UsedIdx);
    }

    [Fact]
    public void The_tablet_scales_positions_to_its_axes_and_reports_button_and_wheel_changes()
    {
        using var tablet = new TabletDevice();
        var (events, _) = Start(tablet);
        PostEventBuffers(tablet, events, 16);
        tablet.Pointer(0, 0, 1280, 800, PointerButtons.None);
        tablet.Pointer(1279, 400, 1280, 800, PointerButtons.Left);
        tablet.Pointer(5000, -3, 1280, 800, PointerButtons.Left | PointerButtons.WheelUp);
        tablet.Key(KEY_A, true);   // not the tablet's
        tablet.Pointer(640, 799, 1280, 800, PointerButtons.Right);

        Assert.Equal([
            new(EV_ABS, ABS_X, 0), new(EV_ABS, ABS_Y, 0), Syn,
            new(EV_ABS, ABS_X, 32767), new(EV_ABS, ABS_Y, 400 * 32767 / 799), new(EV_KEY, BTN_LEFT, 1), Syn,
            new(EV_ABS, ABS_X, 32767), new(EV_ABS, ABS_Y, 0), new(EV_REL, REL_WHEEL, 1), Syn,
            new(EV_ABS, ABS_X, 640 * 32767 / 1279), new(EV_ABS, ABS_Y, 32767), new(EV_KEY, BTN_LEFT, 0), new(EV_KEY, BTN_RIGHT, 1), Syn,
        ], Received(events, 16));
    }

    [Fact]
    public void Led_events_on_the_statusq_are_taken_and_noted()
    {
        using var keyboard = new KeyboardDevice();
        var (_, status) = Start(keyboard);
        Memory.Write(new GuestAddress(StatusBuffers), new VirtioInputEvent(EV_LED, LED_CAPSL, 1));
        Memory.Write(new GuestAddress(StatusBuffers + 8), new VirtioInputEvent(EV_LED, LED_NUML, 1));
        Memory.Write(new GuestAddress(StatusBuffers + 16), new VirtioInputEvent(EV_LED, LED_NUML, 0));
        ushort first = status.AddChain((StatusBuffers, 8, false));
        status.AddChain((StatusBuffers + 8, 16, false));
        status.AddChain((StatusBuffers + 24, 3, false));   // too short for an event: taken all the same
        _loop.Invoke(() => keyboard.QueueNotify(StatusQueue));

        Assert.Equal(3, status.UsedIdx);
        Assert.Equal((first, 0u), status.UsedElement(0));
        Assert.Equal(1u << LED_CAPSL, keyboard.Leds);
    }

    [Fact]
    public void The_option_makes_a_keyboard_and_a_tablet_that_the_display_feeds()
    {
        var feature = new InputFeature();
        var devices = feature.Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--input"] = [""] }));
        Assert.Collection(devices, d => Assert.IsType<KeyboardDevice>(d), d => Assert.IsType<TabletDevice>(d));
        Assert.Empty(new InputFeature().Create(DeviceOptionValues.None));
        Assert.IsType<TabletDevice>(Assert.Single(new InputFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--input"] = ["tablet"] }))));
        Assert.Throws<DeviceConfigException>(() => new InputFeature().Create(new DeviceOptionValues(new Dictionary<string, string[]> { ["--input"] = ["mouse"] })));
    }
}
