using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// `glue device console` serves a virtio console on this terminal. QEMU 7.2 has no vhost-user console frontend
/// to boot a guest with, so this checks the published binary serves the protocol and ends cleanly on SIGTERM.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "virtio-console")]
public class VhostUserConsoleTests
{
    [GlueFact]
    public async Task Glue_device_console_answers_a_frontend_and_ends_on_sigterm()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "console.sock");
        using var device = await GlueDevice.StartAsync(socket, ["console", "--socket", socket]);
        using (var frontend = new VhostUserFrontend(socket))
        {
            frontend.Send(VhostUserFrontend.GetFeatures, []);
            var features = BitConverter.ToUInt64(frontend.ReadReply() ?? throw new IOException("no reply"));
            Assert.NotEqual(0UL, features & 1UL << 32);   // VIRTIO_F_VERSION_1
            Assert.NotEqual(0UL, features & 1UL << 30);   // VHOST_USER_F_PROTOCOL_FEATURES
        }
        var run = await device.StopAsync();
        Assert.True(run.ExitCode == 0, run.Describe());
        GuestAssert.NoStackTrace(run);
        Assert.False(File.Exists(socket), "glue device left its socket behind");
    }
}
