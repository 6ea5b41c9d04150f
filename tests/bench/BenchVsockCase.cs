
namespace Glue.Bench;

/// <summary>
/// virtio-vsock (the test guest's `vsock` test, glue's Firecracker-style host side): 1 MiB each way, both at once,
/// on the guest's connection to host port 52 and on the host's CONNECT to the guest's port 1234; MB/s each way as
/// the host saw it. QEMU's peer, vhost-vsock-device, needs the host's /dev/vhost-vsock.
/// </summary>
public sealed class BenchVsockCase(BenchSettings settings) : BenchCase
{
    private const string GuestConnectToHost = "guest connect, to host", GuestConnectToGuest = "guest connect, to guest";
    private const string HostConnectToHost = "host connect, to host", HostConnectToGuest = "host connect, to guest";

    public override string Name => "virtio-vsock";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(GuestConnectToHost, "MB/s", true, Qemu),
        new(GuestConnectToGuest, "MB/s", true, Qemu),
        new(HostConnectToHost, "MB/s", true, Qemu),
        new(HostConnectToGuest, "MB/s", true, Qemu),
    ];

    public override string? Missing(string contestant) =>
        contestant != Qemu ? null
        : !File.Exists("/dev/vhost-vsock") ? "vhost-vsock-device needs /dev/vhost-vsock (module vhost_vsock), absent here"
        : "no QEMU run in the bench yet (the host side would be AF_VSOCK sockets)";

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var directory = Directory.CreateTempSubdirectory("glue-bench-vsock-");
        try
        {
            string uds = Path.Combine(directory.FullName, "v.sock");
            using var peer = VsockHostPeer.ListenAsync(uds).GetAwaiter().GetResult();
            int cid = 1000 + Random.Shared.Next(1_000_000); // one CID per host: one of the bench's own
            using var vm = BenchProcess.Start(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, "--vsock", $"cid={cid},uds={uds}",
                "-p", $"glue.cpus=1 {VsockHostPeer.GuestKey(cid)}"]);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var guestConnect = Task.Run(() => peer.AcceptGuestAsync(stop.Token));
            var hostConnect = Task.Run(() => peer.ConnectToGuestAsync(stop.Token));
            var sample = vm.Finish(TimeSpan.FromSeconds(120));
            stop.CancelAfter(TimeSpan.FromSeconds(5)); // the VM is gone: its connections end now
            try
            {
                Task.WaitAll(guestConnect, hostConnect);
            }
            catch (AggregateException error)
            {
                throw new BenchFailure($"vsock: {error.InnerException?.Message}; {ProcessSample.Tail(sample.Output)}");
            }
            BenchStartupCase.ExpectAllPassed(sample);
            var (fromGuest, toGuest) = (guestConnect.Result, hostConnect.Result);
            if (!fromGuest.Ok || !toGuest.Ok) throw new BenchFailure("vsock: the host got other bytes than the guest's pattern");
            return new Dictionary<string, double>
            {
                [GuestConnectToHost] = Rate(fromGuest.ToHost),
                [GuestConnectToGuest] = Rate(fromGuest.ToGuest),
                [HostConnectToHost] = Rate(toGuest.ToHost),
                [HostConnectToGuest] = Rate(toGuest.ToGuest),
            };
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static double Rate(TimeSpan time) => VsockHostPeer.Total / time.TotalSeconds / 1e6;
}
