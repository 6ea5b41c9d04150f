using System.Net.Sockets;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// A VNC client's KeyEvents and PointerEvents (RFC 6143 §7.5.4, §7.5.5) reach the test guest through `glue run --gpu
/// --vnc --input`: the guest reports the Linux key codes and the tablet's absolute positions it received, in order,
/// as it does for QEMU's input in QemuInputReferenceTests.
/// </summary>
[Trait("Device", "gpu"), Trait("Device", "input"), Trait("Device", "serial")]
public class VncInputTests
{
    private const uint KeysymShiftL = 0xffe1;
    private const byte ButtonLeft = 1;

    [KvmFact]
    public async Task Keys_and_pointer_from_a_vnc_client_reach_the_guest_in_order()
    {
        using var directory = new TempDirectory();
        string vnc = Path.Combine(directory.Path, "vnc.sock");
        using var glue = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-k", TestEnvironment.Guest, "-p", "glue.input=9:30", "--gpu", "--vnc", $"unix:{vnc}", "--input"]));

        await glue.WaitForLineAsync("GLUE-INPUT READY", TimeSpan.FromSeconds(60));
        using (var client = RfbTestClient.Over(await KvmHost.ConnectAsync(vnc)))
        {
            Assert.Null(client.Handshake());
            Assert.Equal((1280, 800), (client.Width, client.Height));
            client.Key('a', true);
            client.Key('a', false);
            client.Pointer(0, 0, 0);
            client.Pointer(1279, 799, ButtonLeft);
            client.Pointer(640, 400, 0);
            client.Key(KeysymShiftL, true);
            client.Key('B', true);
            var run = await glue.WaitForExitAsync(TimeSpan.FromSeconds(60));

            var report = GuestAssert.AllPassed(run, 0, "input");
            // Positions scale 0..width-1 onto 0..32767 (the tablet's ABS_INFO): 640 * 32767 / 1279 = 16396, 400 * 32767 / 799 = 16404.
            Assert.EndsWith("9 events: keys k30+ k30- k42+ k48+; pointer a0,0 k272+ a32767,32767 k272- a16396,16404", report.Tests["input"].Detail);
        }
    }
}
