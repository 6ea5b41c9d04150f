using System.Globalization;
using System.Text.RegularExpressions;

namespace Glue.Bench;

/// <summary>
/// Exit round trip: the test guest's exits mode (tests/guest/mode_exits.c) writes to a port and to an MMIO
/// address nobody claims, and reports TSC cycles per exit: glue against the floor (glue - floor is glue's own
/// cost; the target is within 3%) and against QEMU microvm. The fastest batch is the figure that load does not blur.
/// </summary>
public sealed partial class BenchExitsCase(BenchSettings settings) : BenchCase
{
    private const string Floor = "floor";

    public override string Name => "exit round trip";

    public override IReadOnlyList<string> Contestants { get; } = [Glue, Floor, Qemu];

    public override IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new("pio exit, fastest batch", "cycles", false, Floor, 1.03),
        new("mmio exit, fastest batch", "cycles", false, Floor, 1.03),
        new("pio exit, median batch", "cycles", false, Floor, 1.03),
        new("mmio exit, median batch", "cycles", false, Floor, 1.03),
        new("pio exit, fastest batch", "cycles", false, Qemu),
        new("mmio exit, fastest batch", "cycles", false, Qemu),
    ];

    public override string? Missing(string contestant) => contestant == Qemu ? BenchQemu.Missing : null;

    public override IReadOnlyDictionary<string, double> Run(string contestant)
    {
        string commandLine = $"glue.mode=exits glue.exits={settings.Scale(100000, 20000)}";
        var timeout = TimeSpan.FromMinutes(5);
        var sample = contestant switch
        {
            Glue => BenchProcess.Run(settings.Glue, ["run", "-m", "512", "-k", settings.Guest, "-p", commandLine], timeout),
            Floor => BenchProcess.Run(settings.Floor, [settings.Guest, commandLine], timeout),
            _ => BenchProcess.Run(BenchQemu.Program, BenchQemu.Guest(settings.Guest, commandLine), timeout),
        };
        var match = Result().Match(sample.Line("GLUE-BENCH exits"));
        if (!match.Success) throw new BenchFailure($"unexpected line: {sample.Line("GLUE-BENCH exits")}");
        double Value(string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        return new Dictionary<string, double>
        {
            ["pio exit, fastest batch"] = Value("pioMin"),
            ["pio exit, median batch"] = Value("pioMedian"),
            ["mmio exit, fastest batch"] = Value("mmioMin"),
            ["mmio exit, median batch"] = Value("mmioMedian"),
        };
    }

    [GeneratedRegex(@"^GLUE-BENCH exits pio (?<pioMin>\d+) (?<pioMedian>\d+) mmio (?<mmioMin>\d+) (?<mmioMedian>\d+) ")]
    private static partial Regex Result();
}
