namespace Glue.Bench;

/// <summary>
/// How the blk case's disk is stored and cached, alike for glue and its QEMU peers: a parameter of the case beside
/// its <see cref="BlockTransport"/>, so that each setup is one more value here. A qcow2 disk is the raw pattern disk
/// made fully allocated by `qemu-img convert -O qcow2`, so its reads are of allocated clusters.
/// </summary>
public sealed record BlockDisk(string Format, string Cache)
{
    public static readonly BlockDisk Raw = new("raw", "writeback");
    public static readonly BlockDisk Qcow2 = new("qcow2", "writeback");
    public static readonly BlockDisk RawDirect = new("raw", "none");

    /// <summary>No qcow2 with cache=none: glue refuses it (its qcow2 images always go through the page cache; docs/devices.md).</summary>
    public static readonly IReadOnlyList<BlockDisk> All = [Raw, Qcow2, RawDirect];

    /// <summary>The default run measures the page-cache setups; GLUE_BENCH_WIDE=1 adds cache=none (docs/bench.md).</summary>
    public bool InDefaultRun => Cache == "writeback";

    /// <summary>What the case's name adds: nothing for raw through the page cache, as the case was named before.</summary>
    public string Label => (Format, Cache) switch
    {
        ("raw", "writeback") => "",
        (_, "writeback") => Format,
        ("raw", _) => $"cache={Cache}",
        _ => $"{Format}, cache={Cache}",
    };

    /// <summary>glue's --disk value for the image at <paramref name="path"/>.</summary>
    public string GlueDisk(string path) => $"{path},format={Format},cache={Cache}";

    /// <summary>QEMU's -drive options for the image at <paramref name="path"/>, with its <paramref name="aio"/> engine.</summary>
    public string QemuDrive(string path, string aio) => $"file={path},format={Format},cache={Cache},aio={aio}";

    /// <summary>The same cache on a raw image: the qcow2 setups' reference.</summary>
    public BlockDisk AsRaw => this with { Format = "raw" };
}
