using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// vhost-user: the Linux test guest under QEMU's TCG (q35, vhost-user-blk-pci) reads a disk through a backend, in
/// 1 MiB O_DIRECT requests (its blk.bench check, timed by the guest's /proc/uptime): `glue device blk` against
/// qemu-storage-daemon's vhost-user-blk export of the same file. TCG runs the guest's driver far slower than KVM
/// would, so the figure says how the two backends compare under one frontend, not what a KVM guest would see.
/// </summary>
public sealed partial class BenchVhostUserCase(BenchSettings settings) : BenchCase
{
    private const string StorageDaemon = "qemu-storage-daemon";
    private const string Read = "Linux reads 1 MiB O_DIRECT";

    private readonly string _disk = Path.Combine(settings.Directory, "vhost-user.img");

    private int DiskMiB => settings.Scale(256, 64);

    public override string Name => "vhost-user blk";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, StorageDaemon];

    public override IReadOnlyList<Comparison> Comparisons { get; } = [new(Read, "MB/s", true, StorageDaemon, 1.0)];

    public override string? Missing(string contestant) =>
        BenchQemu.Missing ?? (contestant == StorageDaemon && BenchQemu.Find(StorageDaemon) is null ? $"{StorageDaemon} is not installed" : null);

    // Each run boots Linux under TCG (about 15 s here).
    public override int Rounds(int rounds) => Math.Min(rounds, 3);

    public override void Prepare()
    {
        using var file = File.Create(_disk);
        file.SetLength((long)DiskMiB << 20);
        var block = new byte[1 << 20];
        Random.Shared.NextBytes(block);
        for (int mib = 0; mib < DiskMiB; mib++) file.Write(block);
    }

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var directory = Directory.CreateTempSubdirectory("glue-bench-vhost-user-");
        string socket = Path.Combine(directory.FullName, "blk.sock");
        using var backend = contestant == Glue
            ? BenchProcess.StartHere(settings.Glue, ["device", "blk", "--socket", socket, "--disk", $"{_disk},ro"])
            : BenchProcess.StartHere(StorageDaemon, ["--blockdev", $"driver=file,node-name=disk,filename={_disk}",
                "--export", $"type=vhost-user-blk,id=export,node-name=disk,addr.type=unix,addr.path={socket},writable=off"]);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(socket))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new BenchFailure($"{contestant} did not listen on {socket}");
                Thread.Sleep(20);
            }
            var sample = BenchProcess.RunHere(BenchQemu.Program, LinuxUnderTcg(socket), TimeSpan.FromMinutes(3));
            var result = ReadLine().Match(sample.Line("GLUE-LINUX blk.bench "));
            if (!result.Success) throw new BenchFailure($"the guest's read failed: {sample.Line("GLUE-LINUX blk.bench ")}");
            double mib = double.Parse(result.Groups[1].Value), seconds = double.Parse(result.Groups[2].Value) / 100;
            return new Dictionary<string, double> { [Read] = mib * 1048576 / seconds / 1e6 };
        }
        finally
        {
            backend.KillVmm();
            backend.Finish(TimeSpan.FromSeconds(10));
            directory.Delete(recursive: true);
        }
    }

    /// <summary>tests/linux/'s guest on q35 under TCG, its RAM a shared memfd (vhost-user maps it), the disk on vhost-user-blk-pci.</summary>
    private string[] LinuxUnderTcg(string socket)
    {
        string linux = settings.Repository.LinuxGuestDirectory;
        return
        [
            "-accel", "tcg", "-M", "q35", "-m", "512", "-nographic", "-no-reboot", "-nic", "none",
            "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
            "-kernel", Path.Combine(linux, "vmlinuz"), "-initrd", Path.Combine(linux, "initramfs.cpio.gz"),
            "-append", $"console=ttyS0 panic=-1 glue.blk.bench={DiskMiB}",
            "-chardev", $"socket,id=c0,path={socket}", "-device", "vhost-user-blk-pci,chardev=c0",
        ];
    }

    public override void Dispose() => File.Delete(_disk);

    [GeneratedRegex(@"PASS (\d+) MiB in (\d+) cs")]
    private static partial Regex ReadLine();
}
