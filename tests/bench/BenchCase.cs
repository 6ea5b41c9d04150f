namespace Glue.Bench;

/// <summary>
/// A figure a case compares: glue's median for <see cref="Metric"/> against <see cref="Peer"/>'s (another
/// contestant of the same case), as the ratio glue / peer. <see cref="TargetRatio"/> is the target for
/// that ratio: at most it when lower is better, at least it when higher is.
/// </summary>
public sealed record Comparison(string Metric, string Unit, bool HigherIsBetter, string Peer, double? TargetRatio = null)
{
    public string TargetText => TargetRatio is not { } target ? ""
        : HigherIsBetter ? $">= {target:0.##}x" : $"<= {target:0.##}x";

    public bool? Met(double ratio) => TargetRatio is not { } target ? null : HigherIsBetter ? ratio >= target : ratio <= target;
}

/// <summary>
/// One case of the bench: its contestants (glue first, then its peers) each run once per round, in turn, so that
/// a machine's changing load falls on all of them alike. A run returns its metrics by name.
/// </summary>
public abstract class BenchCase : IDisposable
{
    public const string Glue = "glue";
    public const string Qemu = "QEMU microvm";

    public abstract string Name { get; }

    /// <summary>Glue first; then the peers.</summary>
    public abstract IReadOnlyList<string> Contestants { get; }

    public abstract IReadOnlyList<Comparison> Comparisons { get; }

    /// <summary>Why a contestant cannot run here (a missing program or module), or null.</summary>
    public virtual string? Missing(string contestant) => null;

    /// <summary>Rounds for this case; heavy cases run fewer.</summary>
    public virtual int Rounds(int rounds) => rounds;

    /// <summary>Before the first round: images, namespaces.</summary>
    public virtual void Prepare()
    {
    }

    /// <summary>One run of one contestant: its metrics (the ones <see cref="Comparisons"/> name).</summary>
    public abstract IReadOnlyDictionary<string, double> Run(string contestant);

    public virtual void Dispose()
    {
    }

    /// <summary>How long <paramref name="action"/> takes.</summary>
    protected static TimeSpan Time(Action action)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        action();
        return clock.Elapsed;
    }
}
