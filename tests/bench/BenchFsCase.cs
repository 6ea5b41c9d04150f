using System.Formats.Tar;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// virtio-fs: the Linux test guest on KVM (tests/linux/checks/67-fs-bench, timed by the guest's /proc/uptime) on a
/// fresh folder of the host: a file written in 1 MiB blocks to its fsync and read back after the guest drops its
/// caches (MB/s), empty files created, then all stat-ed after the caches are dropped (files/s), and a tarball of small
/// files unpacked (files/s). `glue run --fs` against QEMU q35's own 9p (`-virtfs local,security_model=none`, mounted
/// as 9p2000.L over virtio with a 512000-byte msize) on the same guest and folder, in the <see cref="BenchScratch"/>.
/// Glue's share has the cache mode it is made with (`--fs ...,cache=`): auto, the default, caches names and data
/// in the guest; never, like 9p's default, neither; metadata names only, data going straight to the host file.
/// </summary>
public sealed partial class BenchFsCase(BenchSettings settings, string cache) : BenchCase
{
    private const string Qemu9p = "QEMU 9p";
    private const string Write = "seq write";
    private const string Read = "seq read";
    private const string Create = "create small files";
    private const string Stat = "stat small files";
    private const string Untar = "untar small files";

    private readonly string _tarball = Path.Combine(settings.Directory, $"fs-bench-{cache}.tar");

    private int MiB => settings.Scale(256, 64);
    private int Files => settings.Scale(10000, 2000);
    private int TarFiles => settings.Scale(3000, 1000);

    public override string Name => cache == "auto" ? "virtio-fs" : $"virtio-fs (cache={cache})";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu9p];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(Write, "MB/s", true, Qemu9p, 1.0),
        new(Read, "MB/s", true, Qemu9p, 1.0),
        new(Create, "files/s", true, Qemu9p, 2.0),
        new(Stat, "files/s", true, Qemu9p, 2.0),
        new(Untar, "files/s", true, Qemu9p, 1.0),
    ];

    public override string? Missing(string contestant) => contestant == Qemu9p ? BenchQemu.Missing : null;

    // Each run boots Linux and moves a few hundred MiB through the host's files.
    public override int Rounds(int rounds) => Math.Min(rounds, 3);

    /// <summary>The tarball: TarFiles files of 1 to 4 KiB in 30 directories, as a source tree holds them.</summary>
    public override void Prepare()
    {
        using var file = File.Create(_tarball);
        using var tar = new TarWriter(file, TarEntryFormat.Ustar);
        var random = new Random(21);
        for (int d = 0; d < 30; d++) tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, $"src/d{d}/") { Mode = (UnixFileMode)0x1ed });
        for (int i = 0; i < TarFiles; i++)
        {
            var data = new byte[1024 + random.Next(3072)];
            random.NextBytes(data);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"src/d{i % 30}/f{i}.c") { Mode = (UnixFileMode)0x1a4, DataStream = new MemoryStream(data) });
        }
    }

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        string share = BenchScratch.PathOf($"fs-{Guid.NewGuid():N}");
        try
        {
            BenchScratch.Settle();
            BenchScratch.Run("mkdir", share);
            BenchScratch.Run("cp", _tarball, Path.Combine(share, "bench.tar"));
            string linux = settings.Repository.LinuxGuestDirectory;
            string kernel = Path.Combine(linux, "vmlinuz"), initrd = Path.Combine(linux, "initramfs.cpio.gz");
            string Key(string fstype) => $"glue.fsbench={fstype}:bench:{MiB}:{Files}";
            var timeout = TimeSpan.FromMinutes(15);
            var sample = contestant == Glue
                ? BenchProcess.Run(settings.Glue, ["run", "-c", "2", "-m", "1024", "-k", kernel, "-i", initrd, "--fs", $"tag=bench,path={share},cache={cache}",
                    "-p", Key("virtiofs")], timeout)
                : BenchProcess.Run(BenchQemu.Program, ["-M", "q35", "-enable-kvm", "-cpu", "host", "-smp", "2", "-m", "1024", "-nographic", "-no-reboot",
                    "-nic", "none", "-kernel", kernel, "-initrd", initrd, "-append", $"console=ttyS0 panic=-1 {Key("9p")}",
                    "-virtfs", $"local,path={share},mount_tag=bench,security_model=none"], timeout);
            var line = sample.Line("GLUE-LINUX fsbench ");
            var match = Result().Match(line);
            if (!match.Success) throw new BenchFailure($"the guest's fs bench failed: {line}");
            double Seconds(string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) / 100;
            return new Dictionary<string, double>
            {
                [Write] = MiB * 1048576.0 / Seconds("write") / 1e6,
                [Read] = MiB * 1048576.0 / Seconds("read") / 1e6,
                [Create] = Files / Seconds("create"),
                [Stat] = Files / Seconds("stat"),
                [Untar] = TarFiles / Seconds("untar"),
            };
        }
        finally
        {
            BenchScratch.Remove(share);
        }
    }

    public override void Dispose() => File.Delete(_tarball);

    [GeneratedRegex(@"PASS write (?<write>\d+) read (?<read>\d+) create (?<create>\d+) stat (?<stat>\d+) untar (?<untar>\d+) cs")]
    private static partial Regex Result();
}
