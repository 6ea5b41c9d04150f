using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Linux's own virtio_input driver on Glue's keyboard: one `glue device gpu --vnc unix:PATH --input keyboard` serves
/// the display and the keyboard on two sockets, QEMU 10 under TCG (`vhost-user-gpu-pci` and `vhost-user-input-pci`)
/// boots the Linux test guest on them, and keys a VNC client sends to Glue's display reach the guest's evdev node as
/// the Linux key codes, in order.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "gpu"), Trait("Device", "input")]
public class VhostUserInputTests(ITestOutputHelper output)
{
    [Qemu10Fact]
    public async Task Keys_sent_to_glues_vnc_reach_the_linux_guests_evdev()
    {
        using var directory = new TempDirectory();
        string gpu = Path.Combine(directory.Path, "gpu.sock"), keyboard = Path.Combine(directory.Path, "keyboard.sock");
        string vnc = Path.Combine(directory.Path, "vnc.sock");
        // The keyboard's socket is made last: once it is there, both are.
        using var device = await GlueDevice.StartAsync(keyboard,
            ["gpu", "--socket", gpu, "--socket", keyboard, "--vnc", $"unix:{vnc}", "--input", "keyboard"]);
        using var qemu = Qemu10.Start("glue.input=4", [gpu, keyboard],
            "-device", "vhost-user-gpu-pci,chardev=c0", "-device", "vhost-user-input-pci,chardev=c1");

        await qemu.WaitForLineAsync("GLUE-LINUX input listening", TimeSpan.FromSeconds(60));
        using (var client = RfbTestClient.Connect(new UnixDomainSocketEndPoint(vnc)))
        {
            Assert.Null(client.Handshake());
            foreach (char key in "glue")
            {
                client.Key(key, true);
                client.Key(key, false);
            }
            var run = await qemu.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var served = await device.StopAsync();
            output.WriteLine(served.Describe());

            var report = LinuxReport.AssertPassed(run, "input");
            // KEY_G, KEY_L, KEY_U, KEY_E (input-event-codes.h) on the keyboard Glue names.
            Assert.Matches("^Glue Virtio Keyboard /dev/input/event[0-9]+: 34 38 22 18$", report.Checks["input"].Detail);
            VhostUserAssert.ServedCleanly(served);
        }
    }
}
