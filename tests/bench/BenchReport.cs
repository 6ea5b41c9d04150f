using System.Globalization;
using System.Text.Json;

namespace Glue.Bench;

/// <summary>The bench's figures as a table on the console and as artifacts/bench/results.json.</summary>
public static class BenchReport
{
    public static void PrintTable(IReadOnlyList<BenchFigure> figures, TextWriter output)
    {
        string[] header = ["case", "metric", "glue median [min-max]", "peer", "peer median [min-max]", "ratio", "target", ""];
        var rows = figures.Select(Row).Prepend(header).ToList();
        int[] widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
    }

    private static string[] Row(BenchFigure f)
    {
        var c = f.Comparison;
        string glue = f.Failure is { } failure ? Shorten(failure) : Describe(f.Glue, c.Unit);
        string peer = f.PeerMissing is { } missing ? Shorten(missing) : Describe(f.Peer, c.Unit);
        string ratio = f.Ratio is { } r ? Format(r) + "x" : "";
        string met = f.Met switch { true => "met", false => "NOT met", null => "" };
        return [f.Case, c.Metric, glue, c.Peer, peer, ratio, c.TargetText, met];
    }

    /// <summary>A failure's first 90 characters in the table; results.json has all of it.</summary>
    private static string Shorten(string text) => text.Length <= 90 ? text : text[..87] + "...";

    private static string Describe(Series? series, string unit) =>
        series is not { Values.Count: > 0 } ? "-"
        : series.Values.Count == 1 ? $"{Format(series.Median)} {unit}"
        : $"{Format(series.Median)} {unit} [{Format(series.Min)}-{Format(series.Max)}]";

    /// <summary>Three significant digits or so: enough for noisy figures, short enough to read.</summary>
    public static string Format(double value) => Math.Abs(value) switch
    {
        >= 1000 => value.ToString("F0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("F1", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F2", CultureInfo.InvariantCulture),
        _ => value.ToString("F3", CultureInfo.InvariantCulture),
    };

    public static void WriteJson(string path, IReadOnlyList<BenchFigure> figures, int rounds, bool quick)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("date", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("host", Environment.MachineName);
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteNumber("rounds", rounds);
        json.WriteBoolean("quick", quick);
        json.WriteStartArray("figures");
        foreach (var f in figures)
        {
            json.WriteStartObject();
            json.WriteString("case", f.Case);
            json.WriteString("metric", f.Comparison.Metric);
            json.WriteString("unit", f.Comparison.Unit);
            json.WriteBoolean("higherIsBetter", f.Comparison.HigherIsBetter);
            WriteSeries(json, "glue", f.Glue);
            json.WriteString("peer", f.Comparison.Peer);
            WriteSeries(json, "peerValues", f.Peer);
            if (f.PeerMissing is { } missing) json.WriteString("peerMissing", missing);
            if (f.Failure is { } failure) json.WriteString("failure", failure);
            if (f.Ratio is { } ratio) json.WriteNumber("ratio", ratio);
            if (f.Comparison.TargetRatio is { } target)
            {
                json.WriteString("target", f.Comparison.TargetText);
                json.WriteNumber("targetRatio", target);
            }
            if (f.Met is { } met) json.WriteBoolean("met", met);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteSeries(Utf8JsonWriter json, string name, Series? series)
    {
        if (series is not { Values.Count: > 0 }) return;
        json.WriteStartObject(name);
        json.WriteNumber("median", series.Median);
        json.WriteNumber("min", series.Min);
        json.WriteNumber("max", series.Max);
        json.WriteStartArray("values");
        foreach (var value in series.Values) json.WriteNumberValue(value);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
