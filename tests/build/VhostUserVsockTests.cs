using System.Diagnostics;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `glue device vsock --vsock cid=3,uds=PATH` serving QEMU's vhost-user-vsock-pci: the guest connects to the host
/// (CID 2) port 1234, which glue makes a connect to PATH_1234, where this test listens and echoes a line.
/// </summary>
[Trait("Transport", "vhost-user"), Trait("Device", "vsock")]
public class VhostUserVsockTests(ITestOutputHelper output)
{
    private const int Port = 1234;

    [VhostUserFact]
    public async Task The_guests_line_is_echoed_through_glue_vsock()
    {
        using var directory = new TempDirectory();
        string uds = Path.Combine(directory.Path, "v.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint($"{uds}_{Port}"));
        listener.Listen(1);
        using var stop = new CancellationTokenSource(QemuLinuxGuest.Limit);
        var echo = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync(stop.Token);
            var line = new List<byte>();
            var buffer = new byte[256];
            while (!line.Contains((byte)'\n'))
            {
                int n = await connection.ReceiveAsync(buffer, stop.Token);
                if (n == 0) break;
                line.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            await connection.SendAsync(line.ToArray(), stop.Token);
            return System.Text.Encoding.ASCII.GetString(line.ToArray());
        });

        string socket = Path.Combine(directory.Path, "vsock.sock");
        using var device = await GlueDevice.StartAsync(socket, ["vsock", "--socket", socket, "--vsock", $"cid=3,uds={uds}"]);
        var clock = Stopwatch.StartNew();
        var run = await QemuLinuxGuest.RunAsync($"glue.vsock={Port}", [socket], "-device", "vhost-user-vsock-pci,chardev=c0");
        output.WriteLine($"QEMU TCG boot to power-off: {clock.Elapsed.TotalSeconds:F1} s");
        var deviceRun = await device.StopAsync();

        Assert.True(run.ExitCode == 0, $"expected QEMU to end with 0 on the guest's power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, "vsock");
        output.WriteLine($"vsock {report.Checks["vsock"].Detail}");
        Assert.Equal("glue-vsock-hello\n", await echo);
        VhostUserAssert.ServedCleanly(deviceRun);
        Assert.False(File.Exists(uds), "glue device left its vsock socket behind");
    }
}
