using System.Diagnostics;
using System.Globalization;

namespace Glue.Bench;

/// <summary>
/// Snapshot and restore of the Linux test guest, 512 MiB of which it has filled 100 MiB with random bytes (glue.touch)
/// and then prints a count every tenth of a second (glue.count), each VMM through its own control channel:
/// glue's SNAPSHOT request (docs/snapshot.md: pause, write DIR, reply) against QEMU's `stop` and `migrate` to a file
/// (`exec:cat`, as a QEMU user saves a VM without libvirt) until `query-migrate` says completed; the space the snapshot
/// takes on disk (du); and restore to running: from starting `glue run --restore DIR`, or `qemu -incoming` from the
/// file and `cont` once it is in, to the guest's next count line (so both include up to 0.1 s of the count's own
/// wait). QEMU is QEMU 10's microvm, as small a machine as glue's (QEMU 7.2's microvm with this Linux hung the software
/// KVM host's kernel once, in the lost-IPI way tests/host/README.md describes). Firecracker is not on this machine. Linux rather than the test
/// guest: the test guest does port I/O at CPL3, which a QEMU-restored VM cannot in the software KVM host (its emulated
/// SVM checks the TSS that KVM reports busy; docs/snapshot.md), so QEMU's restored test guest never printed again.
/// Both write their snapshots to the <see cref="BenchScratch"/> (in the software KVM host, a restore mapping a snapshot
/// on its 9p share took about 5 s to the first line where /dev/shm took 2 s).
/// </summary>
public sealed class BenchSnapshotCase(BenchSettings settings) : BenchCase
{
    private const string Save = "snapshot", OnDisk = "snapshot on disk", Restore = "restore to running";
    private const string Touched = "RAM the guest touched + 1 MiB";
    private const int MemoryMiB = 512;
    private const string Counter = "GLUE-LINUX-COUNT ";
    private const int FilledMiB = 100;   // glue.touch: what the guest fills with random bytes
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(5);

    private string Kernel => Path.Combine(settings.Repository.LinuxGuestDirectory, "vmlinuz");
    private string Initrd => Path.Combine(settings.Repository.LinuxGuestDirectory, "initramfs.cpio.gz");
    private static string Keys => $"glue.touch={FilledMiB} glue.count=1000000";

    public override string Name => "snapshot/restore";

    /// <summary>Touched is no VMM: its figure is what the last glue run measured of its guest (<see cref="ResidentMiB"/>).</summary>
    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu, Touched];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(Save, "ms", false, Qemu),
        new(OnDisk, "MiB", false, Qemu),
        new(OnDisk, "MiB", false, Touched, 1.0),
        new(Restore, "ms", false, Qemu, 0.1),
    ];

    private double? _touchedMiB;

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Qemu10Missing(settings.Repository) : null;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        if (contestant == Touched)
            return new Dictionary<string, double> { [OnDisk] = _touchedMiB + 1 ?? throw new BenchFailure("no glue run measured its guest") };
        string name = $"bench-{Guid.NewGuid().ToString("N")[..12]}";
        string snapshot = BenchScratch.PathOf(name);
        try
        {
            var (save, restore) = contestant == Glue ? RunGlue(name, snapshot) : RunQemu(name, snapshot);
            return new Dictionary<string, double>
            {
                [Save] = save.TotalMilliseconds,
                [OnDisk] = KiBOnDisk(snapshot) / 1024.0,
                [Restore] = restore.TotalMilliseconds,
            };
        }
        finally
        {
            BenchScratch.Remove(snapshot);
        }
    }

    private (TimeSpan Save, TimeSpan Restore) RunGlue(string name, string snapshot)
    {
        string socket = Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR")!, "glue", name + ".sock");
        TimeSpan save;
        using (var vm = BenchProcess.Start(settings.Glue, ["run", "-n", name, "-m", $"{MemoryMiB}", "-k", Kernel, "-i", Initrd, "-p", Keys]))
        {
            vm.WaitFor(() => File.Exists(socket) && vm.LinesStartingWith(Counter) >= 3, "third count line", BootLimit);
            BenchScratch.Run("mkdir", snapshot);
            _touchedMiB = ResidentMiB(vm);
            save = Time(() => GlueControl.Send(socket, GlueControl.SnapshotRequest, snapshot));
            GlueControl.Send(socket, GlueControl.StopRequest);
            vm.Finish(Limit);
        }
        long start = Stopwatch.GetTimestamp();
        using var restored = BenchProcess.Start(settings.Glue, ["run", "--restore", snapshot, "-n", name]);
        var restore = UntilCounting(restored, start);
        GlueControl.Send(socket, GlueControl.StopRequest);
        restored.Finish(Limit);
        return (save, restore);
    }

    private (TimeSpan Save, TimeSpan Restore) RunQemu(string name, string file)
    {
        string socket = Path.Combine(settings.Directory, name + ".qmp");
        try
        {
            TimeSpan save;
            using (var vm = BenchProcess.Start(BenchQemu.Qemu10Program(settings.Repository), QemuLinux("-qmp", $"unix:{socket},server=on,wait=off")))
            {
                vm.WaitFor(() => File.Exists(socket) && vm.LinesStartingWith(Counter) >= 3, "third count line", BootLimit);
                using var qmp = QmpConnection.Connect(socket);
                save = Time(() =>
                {
                    qmp.Execute("stop");
                    qmp.Execute("migrate", $"{{\"uri\": \"exec:cat > {file}\"}}");
                    WaitForStatus(qmp, "query-migrate", "\"completed\"", "\"failed\"");
                });
                qmp.Execute("quit");
                vm.Finish(Limit);
            }
            File.Delete(socket);
            long start = Stopwatch.GetTimestamp();
            using var restored = BenchProcess.Start(BenchQemu.Qemu10Program(settings.Repository), QemuLinux("-qmp", $"unix:{socket},server=on,wait=off", "-incoming", $"exec:cat {file}"));
            restored.WaitFor(() => File.Exists(socket), "QMP socket", Limit);
            using (var qmp = QmpConnection.Connect(socket))
            {
                // The VM was stopped when it was saved: once the incoming migration is in, it waits paused for cont.
                WaitForStatus(qmp, "query-status", "\"paused\"", "\"internal-error\"");
                qmp.Execute("cont");
                var restore = UntilCounting(restored, start);
                qmp.Execute("quit");
                restored.Finish(Limit);
                return (save, restore);
            }
        }
        finally
        {
            File.Delete(socket);
        }
    }

    /// <summary>
    /// What of its RAM the guest has touched: the resident size of glue's mapping of it (/proc/PID/smaps, the
    /// mapping of <see cref="MemoryMiB"/>), pages the guest never touched having no page behind them.
    /// </summary>
    private static double ResidentMiB(BenchProcess vm)
    {
        const string Script = "vmm=$(cat /proc/$1/task/$1/children); " +
            "awk -v kib=$2 '/^Size:/ { ram = ($2 == kib) } /^Rss:/ && ram { print $2 }' /proc/${vmm%% *}/smaps";
        var sample = BenchProcess.Run("sh", ["-c", Script, "sh", $"{vm.TimePid}", $"{MemoryMiB * 1024}"], Limit);
        return sample.ExitCode == 0 && double.TryParse(sample.Output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out double kib)
            ? kib / 1024
            : throw new BenchFailure($"no mapping of {MemoryMiB} MiB in glue's /proc/PID/smaps: {ProcessSample.Tail(sample.Output + sample.Errors)}");
    }

    private string[] QemuLinux(params string[] extra) =>
        [.. BenchQemu.Qemu10Firmware(settings.Repository), .. BenchQemu.Microvm, .. extra, "-kernel", Kernel, "-initrd", Initrd, "-append", $"console=ttyS0 panic=-1 {Keys}"];

    /// <summary>From <paramref name="start"/> to the restored guest's first count line.</summary>
    private static TimeSpan UntilCounting(BenchProcess restored, long start)
    {
        restored.WaitFor(() => restored.LinesStartingWith(Counter) >= 1, "count line from the restored guest", Limit);
        return Stopwatch.GetElapsedTime(start, restored.LineArrived(Counter) ?? Stopwatch.GetTimestamp());
    }

    private static void WaitForStatus(QmpConnection qmp, string query, string done, string failed)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            string reply = qmp.Execute(query);
            if (reply.Contains(done, StringComparison.Ordinal)) return;
            if (reply.Contains(failed, StringComparison.Ordinal)) throw new BenchFailure($"QMP {query}: {reply}");
            Thread.Sleep(1);
        }
        throw new BenchFailure($"QMP {query} did not say {done} within {Limit.TotalSeconds} s");
    }

    /// <summary>What the snapshot takes on disk (allocated blocks, so a sparse file counts what it holds).</summary>
    private static double KiBOnDisk(string path)
    {
        var du = BenchProcess.Run("du", ["-sk", path], Limit);   // where the VMMs run
        return double.Parse(du.Output.Split('\t')[0], CultureInfo.InvariantCulture);
    }
}
