using System.Diagnostics;

namespace Glue.Core.Machine;

/// <summary>Milestones of start-up in milliseconds since the process started, printed to stderr when enabled.</summary>
public sealed class StartupTimeline(bool enabled)
{
    private readonly double _processStartMs = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
    private readonly long _created = Stopwatch.GetTimestamp();

    public bool Enabled { get; } = enabled;

    public void Mark(string phase)
    {
        if (!Enabled) return;
        double ms = _processStartMs + Stopwatch.GetElapsedTime(_created).TotalMilliseconds;
        Console.Error.WriteLine($"glue: {ms,9:F1} ms  {phase}");
    }
}
