using Xunit;
using Xunit.Abstractions;
using static Glue.BuildTests.VhostUserFrontend;

namespace Glue.BuildTests;

/// <summary>
/// A published `glue device` meets a frontend that breaks the protocol: a garbage header ends the connection; with
/// REPLY_ACK a memory table without its fd and a ring outside the table are refused and the session goes on;
/// without REPLY_ACK a refused request ends the connection. Each refusal is one log line; the process never
/// crashes, and QEMU's guest then uses the same device as if nothing happened. Two backends: rng, and fs (whose
/// guest then runs the whole fs check on the share).
/// </summary>
[Trait("Transport", "vhost-user")]
public class VhostUserMalformedFrontendTests(ITestOutputHelper output)
{
    private const ulong User = 0x7f00_0000_0000;
    private const long RamSize = 1 << 20;

    [VhostUserFact, Trait("Device", "rng")]
    public async Task Bad_frontends_are_refused_or_disconnected_and_the_next_good_one_is_served()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "rng.sock");
        using var device = await GlueDevice.StartAsync(socket, ["rng", "--socket", socket]);
        SendBadFrontends(socket);

        var run = await QemuLinuxGuest.RunAsync("glue.rng=1", [socket], "-device", "vhost-user-rng-pci,chardev=c0");
        var deviceRun = await device.StopAsync();
        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        LinuxReport.AssertPassed(run, "rng");
        AssertRefusedAndServed(deviceRun);
    }

    [VhostUserFact, Trait("Device", "fs")]
    public async Task Bad_frontends_of_glue_device_fs_are_refused_or_disconnected_and_the_next_good_one_is_served()
    {
        using var scenario = new FsShareScenario(mib: 4);
        string shared = Path.Combine(scenario.Directory_, "a.sock"), readOnly = Path.Combine(scenario.Directory_, "b.sock");
        using var device = await GlueDevice.StartAsync(readOnly, ["fs", "--socket", shared, "--socket", readOnly,
            "--fs", $"tag=shared,path={scenario.Share}", "--fs", $"tag=ro,path={scenario.ReadOnly},ro"]);
        SendBadFrontends(shared);

        var vm = QemuLinuxGuest.RunAsync(scenario.Key, [shared, readOnly],
            "-device", "vhost-user-fs-pci,chardev=c0,tag=shared", "-device", "vhost-user-fs-pci,chardev=c1,tag=ro");
        var changed = scenario.ChangeHostFileWhenAskedAsync(vm);
        var run = await vm;
        var deviceRun = await device.StopAsync();
        Assert.True(await changed, "the guest never wrote guest-waiting");
        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "fs");
        await scenario.AssertTheHostSeesWhatTheGuestDidAsync(report.Checks["fs"].Detail);
        AssertRefusedAndServed(deviceRun);
    }

    /// <summary>A garbage header; then, with REPLY_ACK, a memory table without its fd and a ring outside the table; then that ring again without REPLY_ACK.</summary>
    private static void SendBadFrontends(string socket)
    {
        using (var garbage = new VhostUserFrontend(socket))
        {
            garbage.SendRaw([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
            Assert.True(garbage.IsClosedByBackend(), "a garbage header did not end the connection");
        }

        using var frontend = new VhostUserFrontend(socket);
        using var ram = MemFd(RamSize);
        frontend.Send(SetProtocolFeatures, U64(ReplyAck));
        Assert.Equal(1UL, frontend.Ack(SetMemTable, MemTable(RamSize, User)));                        // no fd
        Assert.Equal(0UL, frontend.Ack(SetMemTable, MemTable(RamSize, User), (int)ram.DangerousGetHandle()));
        Assert.Equal(1UL, frontend.Ack(SetVringAddr, VringAddr(User + (ulong)RamSize, User, User)));   // outside the table
        Assert.NotEqual(0UL, BitConverter.ToUInt64(Ask(frontend, GetFeatures)));                       // still served
        frontend.Send(SetVringAddr, VringAddr(User + (ulong)RamSize, User, User));                     // no REPLY_ACK asked
        Assert.True(frontend.IsClosedByBackend(), "a refused request without REPLY_ACK did not end the connection");
    }

    /// <summary>The four refusals, one line each; then a clean end on SIGTERM with no stack trace.</summary>
    private void AssertRefusedAndServed(ProcessResult deviceRun)
    {
        foreach (var line in deviceRun.Stderr) output.WriteLine(line);
        Assert.True(deviceRun.ExitCode == 0, deviceRun.Describe());
        Assert.Equal(4, deviceRun.Stderr.Count(line => line.Contains("refused") || line.Contains("disconnecting the frontend: message")));
        GuestAssert.NoStackTrace(deviceRun);
    }

    private static byte[] Ask(VhostUserFrontend frontend, uint request)
    {
        frontend.Send(request, []);
        return frontend.ReadReply() ?? throw new IOException("no reply");
    }
}
