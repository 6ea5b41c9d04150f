using System.Text.Json.Nodes;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest's input driver against QEMU's virtio-keyboard-device and virtio-tablet-device: once the guest is
/// ready, key, pointer and button events sent with QMP's input-send-event arrive in the guest in order, as the
/// evdev codes and absolute positions (0..32767) Glue's tablet uses too.
/// </summary>
[Trait("Category", "Reference")]
public class QemuInputReferenceTests
{
    private static JsonObject Key(string qcode, bool down) =>
        new() { ["type"] = "key", ["data"] = new JsonObject { ["down"] = down, ["key"] = new JsonObject { ["type"] = "qcode", ["data"] = qcode } } };

    private static JsonObject Axis(string axis, int value) => new() { ["type"] = "abs", ["data"] = new JsonObject { ["axis"] = axis, ["value"] = value } };

    private static JsonObject Button(string button, bool down) => new() { ["type"] = "btn", ["data"] = new JsonObject { ["down"] = down, ["button"] = button } };

    [QemuFact]
    public async Task Qmp_input_reaches_the_guest_in_order()
    {
        using var directory = new TempDirectory();
        string monitor = Path.Combine(directory.Path, "qmp.sock");
        using var qemu = WatchedProcess.Start(KvmHost.StartInfo("timeout", QemuMicrovm.Arguments("microvm,acpi=off", "glue.input=8:20",
            "-global", "virtio-mmio.force-legacy=false", "-device", "virtio-keyboard-device", "-device", "virtio-tablet-device",
            "-qmp", $"unix:{monitor},server=on,wait=off")));
        using var qmp = await QmpMonitor.ConnectAsync(monitor, TimeSpan.FromSeconds(10), inKvmHost: true);

        await qemu.WaitForLineAsync("GLUE-INPUT READY", TimeSpan.FromSeconds(30));
        JsonObject[][] reports =
        [
            [Key("a", true)], [Key("a", false)], [Axis("x", 1000), Axis("y", 2000)], [Button("left", true)],
            [Axis("x", 32767), Axis("y", 0)], [Button("left", false)], [Key("shift", true)], [Key("b", true)],
        ];
        foreach (var events in reports)
            await qmp.ExecuteAsync("input-send-event", new JsonObject { ["events"] = new JsonArray([.. events]) });
        var run = await qemu.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "input");
        Assert.EndsWith("8 events: keys k30+ k30- k42+ k48+; pointer a1000,2000 k272+ a32767,0 k272-", report.Tests["input"].Detail);
    }
}
