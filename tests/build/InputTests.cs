using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest finds Glue's virtio keyboard and tablet on virtio-mmio by their config space, posts event
/// buffers and hands the keyboard an LED event. (Events from a display client come with the VNC server; the same
/// guest takes QEMU's in QemuInputReferenceTests.)
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Device", "input"), Trait("Device", "serial")]
public class InputTests
{
    [KvmFact]
    public async Task Guest_finds_the_keyboard_and_the_tablet()
    {
        var run = await GlueBinary.BootAsync("glue.input=0", "--input");

        var report = GuestAssert.AllPassed(run, 0, "input");
        Assert.Matches("^keyboard 0x[0-9a-f]+ \"Glue Virtio Keyboard\", tablet 0x[0-9a-f]+ \"Glue Virtio Tablet\" x 0-32767 y 0-32767, led taken: 0 events",
            report.Tests["input"].Detail);
        GuestAssert.NoStackTrace(run);
    }

    [KvmFact]
    public async Task An_unknown_input_value_is_a_usage_error()
    {
        var run = await GlueBinary.BootAsync("", "--input", "joystick");

        Assert.True(run.ExitCode == 2, run.Describe());
        Assert.StartsWith("glue: --input", Assert.Single(run.Stderr));
    }
}
