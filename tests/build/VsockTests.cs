using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `--vsock cid=N,uds=PATH` with the test guest's vsock test: the guest connects to host port 52 (this test
/// listens on PATH_52) and a host client of PATH sends `CONNECT 1234`; each connection carries 1 MiB each way,
/// checked on both sides. Bad values are one-line usage errors that leave no socket file.
/// </summary>
[Trait("Device", "vsock"), Trait("Device", "serial"), Trait("Transport", "virtio-mmio")]
public class VsockTests(ITestOutputHelper output)
{
    [KvmFact]
    public async Task One_mib_each_way_on_a_guest_connect_and_a_host_connect()
    {
        using var directory = new TempDirectory();
        string uds = Path.Combine(directory.Path, "v.sock");
        using var peer = await VsockHostPeer.ListenAsync(uds);

        // CIDs are unique per host: a random one, so that other runs on this host do not collide with it.
        int cid = Random.Shared.Next(100_000, 900_000);
        var glue = GlueBinary.BootAsync(VsockHostPeer.GuestKey(cid), "--vsock", $"cid={cid},uds={uds}", "--virtio-transport", "mmio");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var guestConnect = Task.Run(() => peer.AcceptGuestAsync(stop.Token));
        var hostConnect = Task.Run(() => peer.ConnectToGuestAsync(stop.Token));

        var run = await glue;
        GuestAssert.AllPassed(run, 0, "vsock");
        var fromGuest = await guestConnect;
        var toGuest = await hostConnect;
        Assert.True(fromGuest.Ok && toGuest.Ok, $"the host got other bytes than the pattern; {run.Describe()}");
        output.WriteLine($"guest connect: to host {Rate(fromGuest.ToHost)}, to guest {Rate(fromGuest.ToGuest)} (both at once)");
        output.WriteLine($"host connect: to host {Rate(toGuest.ToHost)}, to guest {Rate(toGuest.ToGuest)} (both at once)");
        output.WriteLine(run.Stdout.FirstOrDefault(l => l.StartsWith("GLUE-TEST vsock")));
        Assert.False(File.Exists(uds), "the listening socket outlived the VM");
    }

    private static string Rate(TimeSpan time) => $"{VsockHostPeer.Total / 1048576.0 / time.TotalSeconds:F1} MiB/s";

    [KvmFact]
    public async Task A_cid_below_3_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=2,uds={directory.Path}/v.sock");
    }

    [KvmFact]
    public async Task A_uds_in_a_missing_directory_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=5,uds={directory.Path}/missing/v.sock");
    }

    [KvmFact]
    public async Task The_same_cid_twice_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync(directory, "--vsock", $"cid=5,uds={directory.Path}/a.sock", "--vsock", $"cid=5,uds={directory.Path}/b.sock");
    }

    [KvmFact]
    public async Task A_cid_another_running_vm_holds_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        int cid = Random.Shared.Next(100_000, 900_000);
        using var first = await RunningVm.StartAsync(directory.Path, "holder", "--vsock", $"cid={cid},uds={directory.Path}/first.sock");
        Assert.True(File.Exists($"{directory.Path}/first.sock"));
        await AssertUsageErrorAsync(directory, "--vsock", $"cid={cid},uds={directory.Path}/v.sock");
        Assert.True(File.Exists($"{directory.Path}/first.sock"), "the running VM's socket was touched");
    }

    /// <summary>Exit status 2, one `glue: ` line, and no socket file left in the directory.</summary>
    private static async Task AssertUsageErrorAsync(TempDirectory directory, params string[] options)
    {
        var before = Directory.GetFiles(directory.Path, "*.sock");
        var run = await GlueInvocation.RunAsync(directory.Path, ["run", "-k", TestEnvironment.Guest, .. options]);
        Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal), run.Describe());
        GuestAssert.NoStackTrace(run);
        Assert.Equal(before, Directory.GetFiles(directory.Path, "*.sock"));
    }
}
