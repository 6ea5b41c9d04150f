using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// How the bench attaches one disk to glue and to its QEMU peer: a parameter of the blk case, so that another
/// transport (virtio-pci: glue on pci against QEMU q35's virtio-blk-pci) is one more value here.
/// </summary>
public sealed record BlockTransport(string Name, Func<string, string[]> Glue, Func<string, string[]> Qemu)
{
    public static readonly BlockTransport Mmio = new("mmio",
        disk => ["--disk", $"{disk},ro"],
        disk => [.. BenchQemu.VirtioMmio, "-drive", $"id=d0,file={disk},format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=d0"]);
}

/// <summary>
/// virtio-blk reads (tests/guest/mode_blkbench.c): 1 MiB sequential reads (MB/s) and 4 KiB random reads at queue
/// depth 1 and 32 (IOPS) from the same file, which the host holds in its page cache; the host's own pread of that
/// file in 1 MiB blocks, where the VMMs run, is the limit. The guest counts TSC ticks; they are turned into seconds at KVM's TSC rate.
/// </summary>
public sealed partial class BenchBlockCase(BenchSettings settings, BlockTransport transport) : BenchCase
{
    private const string PageCache = "host page cache";
    private const string Sequential = "seq 1 MiB reads";
    private const string RandomQd1 = "rand 4 KiB reads qd1";
    private const string RandomQd32 = "rand 4 KiB reads qd32";
    private const uint Seed = 0x626c6b21;
    private const int DiskMiB = 128;

    private readonly string _disk = Path.Combine(settings.Directory, "blk.img");
    private readonly Lazy<double> _tscHz = new(BenchTsc.Hz);   // asked of KVM when a run needs it, so a case can be named without /dev/kvm here

    private int SequentialMiB => settings.Scale(1024, 256);
    private int RandomReads => settings.Scale(40000, 10000);

    public override string Name => $"virtio-blk ({transport.Name})";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Qemu, PageCache];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(Sequential, "MB/s", true, Qemu, 1.5),
        new(Sequential, "MB/s", true, PageCache, 0.7),
        new(RandomQd1, "IOPS", true, Qemu, 1.0),
        new(RandomQd32, "IOPS", true, Qemu, 1.0),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    /// <summary>The disk holds test_blk.c's pattern, so that the guest can check what it read.</summary>
    public override void Prepare()
    {
        using var file = File.Create(_disk);
        var block = new byte[1 << 20];
        for (uint mib = 0; mib < DiskMiB; mib++)
        {
            for (int j = 0; j < block.Length / 4; j++)
                BitConverter.TryWriteBytes(block.AsSpan(j * 4), unchecked(Seed + (mib * (uint)block.Length / 4 + (uint)j) * 0x9e3779b1));
            file.Write(block);
        }
    }

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        if (contestant == PageCache) return new Dictionary<string, double> { [Sequential] = HostRead() };
        string commandLine = $"glue.mode=blkbench glue.blkbench={SequentialMiB}:{RandomReads}:{Seed}";
        var timeout = TimeSpan.FromMinutes(5);
        var sample = contestant == Glue
            ? BenchProcess.Run(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, .. transport.Glue(_disk), "-p", commandLine], timeout)
            : BenchProcess.Run(BenchQemu.Program, BenchQemu.Guest(settings.Guest, commandLine, transport.Qemu(_disk)), timeout);
        var line = sample.Line("GLUE-BENCH blk");
        var match = Result().Match(line);
        if (!match.Success) throw new BenchFailure(line);
        double Value(string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        return new Dictionary<string, double>
        {
            [Sequential] = SequentialMiB * 1048576.0 / (Value("seq") / _tscHz.Value) / 1e6,
            [RandomQd1] = RandomReads / (Value("qd1") / _tscHz.Value),
            [RandomQd32] = RandomReads / (Value("qd32") / _tscHz.Value),
        };
    }

    /// <summary>
    /// The limit: the same bytes read with pread in 1 MiB blocks (MB/s), where the VMMs read them: from this machine's
    /// page cache, or in the software KVM host (by python3 there) through its share of this machine's files.
    /// </summary>
    private double HostRead()
    {
        if (KvmHost.IsSoftware)
        {
            var sample = BenchProcess.Run("python3", ["-c", ReadInHost, _disk, $"{SequentialMiB}", $"{DiskMiB}"], TimeSpan.FromMinutes(5));
            return sample.ExitCode == 0 && double.TryParse(sample.Output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double rate)
                ? rate
                : throw new BenchFailure($"reading {_disk} in the software KVM host failed (status {sample.ExitCode}): {ProcessSample.Tail(sample.Errors)}");
        }
        using var file = File.OpenHandle(_disk);
        var block = new byte[1 << 20];
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < SequentialMiB; i++)
            if (RandomAccess.Read(file, block, i % DiskMiB * block.Length) != block.Length) throw new BenchFailure($"{_disk}: short read");
        return SequentialMiB * 1048576.0 / clock.Elapsed.TotalSeconds / 1e6;
    }

    // HostRead's loop for the software KVM host: argv is the file, the MiB to read and the file's size in MiB.
    private const string ReadInHost =
        "import os, sys, time\n" +
        "fd, total, size = os.open(sys.argv[1], os.O_RDONLY), int(sys.argv[2]), int(sys.argv[3])\n" +
        "start = time.monotonic()\n" +
        "for i in range(total):\n" +
        "    assert len(os.pread(fd, 1 << 20, i % size << 20)) == 1 << 20\n" +
        "print(total * 1048576 / (time.monotonic() - start) / 1e6)\n";

    public override void Dispose() => File.Delete(_disk);

    [GeneratedRegex(@"^GLUE-BENCH blk seq (?<seq>\d+) .* rand qd1 (?<qd1>\d+) qd32 (?<qd32>\d+) ")]
    private static partial Regex Result();
}
