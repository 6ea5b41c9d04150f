namespace Glue.Bench;

/// <summary>
/// The size of the binary `publish` makes for each manifest (whatever form it has: single file or native), beside
/// QEMU's executable (its shared libraries not counted), for the manifests published: `./build.sh bench` publishes
/// every manifest for a full run of every case; with --quick or --case it measures the ones already published.
/// </summary>
public sealed class BenchSizeCase : BenchCase
{
    private const string QemuBinary = "QEMU executable";
    private readonly BenchSettings _settings;
    private readonly IReadOnlyList<Manifest> _manifests;

    public BenchSizeCase(BenchSettings settings)
    {
        _settings = settings;
        _manifests = settings.Repository.Manifests();
        Comparisons = _manifests.Select(m => new Comparison($"binary size ({m.Name})", "MiB", false, QemuBinary)).ToList();
    }

    public override string Name => "binary size";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, QemuBinary];

    public override IReadOnlyList<Comparison> Comparisons { get; }

    public override string? Missing(string contestant) => contestant == QemuBinary ? BenchQemu.Missing : null;

    public override int Rounds(int rounds) => 1;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        var sizes = new Dictionary<string, double>();
        foreach (var manifest in _manifests)
        {
            string binary = contestant == Glue ? _settings.Repository.GlueBinary(manifest) : BenchQemu.Find(BenchQemu.Program)!;
            if (File.Exists(binary)) sizes[$"binary size ({manifest.Name})"] = new FileInfo(binary).Length / 1048576.0;
        }
        return sizes;
    }
}
