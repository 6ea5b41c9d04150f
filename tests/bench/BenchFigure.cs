namespace Glue.Bench;

/// <summary>The values of one metric over a case's rounds.</summary>
public sealed record Series(IReadOnlyList<double> Values)
{
    public double Median
    {
        get
        {
            var sorted = Values.Order().ToArray();
            int n = sorted.Length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    public double Min => Values.Min();

    public double Max => Values.Max();
}

/// <summary>
/// One row of the table: glue's series for a metric beside its peer's, or why the peer has none
/// (<see cref="PeerMissing"/>: "missing: ..." or "failed: ..."), or why glue has none (<see cref="Failure"/>).
/// </summary>
public sealed record BenchFigure(string Case, Comparison Comparison, Series? Glue, Series? Peer, string? PeerMissing, string? Failure)
{
    public double? Ratio => Glue is { Values.Count: > 0 } && Peer is { Values.Count: > 0 } && Peer.Median != 0 ? Glue.Median / Peer.Median : null;

    public bool? Met => Ratio is { } ratio ? Comparison.Met(ratio) : null;
}
