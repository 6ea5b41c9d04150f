using System.Globalization;
using System.Net;
using System.Text;

namespace Glue.Bench;

/// <summary>
/// artifacts/bench/ratios.svg: one bar per figure with a ratio, glue / peer on a log scale from 1x, green where
/// glue is ahead of its peer and red where it is behind, with the target (if any) as a black tick.
/// </summary>
public static class BenchChart
{
    private const int LabelWidth = 430, PlotWidth = 420, RowHeight = 22, Top = 40, Bottom = 30;
    private const double MinRatio = 1.0 / 16, MaxRatio = 16; // the axis: log2 from -4 to 4

    public static void Write(string path, IReadOnlyList<BenchFigure> figures)
    {
        var rows = figures.Where(f => f.Ratio is not null).ToList();
        int height = Top + rows.Count * RowHeight + Bottom;
        var svg = new StringBuilder();
        Line(svg, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{LabelWidth + PlotWidth + 80}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        Line(svg, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Line(svg, $"<text x=\"10\" y=\"20\" font-size=\"14\">glue / peer (log scale); green: glue ahead, red: behind; black tick: the target</text>");
        foreach (double tick in new[] { 0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16 })
        {
            double x = X(tick);
            string stroke = tick == 1 ? "#000" : "#ddd";
            Line(svg, $"<line x1=\"{N(x)}\" y1=\"{Top - 6}\" x2=\"{N(x)}\" y2=\"{height - Bottom}\" stroke=\"{stroke}\"/>");
            string text = tick < 1 ? $"1/{N(1 / tick)}x" : $"{N(tick)}x";
            Line(svg, $"<text x=\"{N(x)}\" y=\"{height - 10}\" text-anchor=\"middle\">{text}</text>");
        }
        for (int i = 0; i < rows.Count; i++)
        {
            var f = rows[i];
            double ratio = f.Ratio!.Value, y = Top + i * RowHeight;
            bool ahead = f.Comparison.HigherIsBetter ? ratio >= 1 : ratio <= 1;
            double x0 = X(1), x1 = X(Math.Clamp(ratio, MinRatio, MaxRatio));
            string label = WebUtility.HtmlEncode($"{f.Case}: {f.Comparison.Metric} vs {f.Comparison.Peer}");
            Line(svg, $"<text x=\"{LabelWidth - 8}\" y=\"{N(y + 15)}\" text-anchor=\"end\">{label}</text>");
            Line(svg, $"<rect x=\"{N(Math.Min(x0, x1))}\" y=\"{N(y + 4)}\" width=\"{N(Math.Max(Math.Abs(x1 - x0), 1))}\" height=\"{RowHeight - 8}\" fill=\"{(ahead ? "#3a3" : "#c33")}\"/>");
            Line(svg, $"<text x=\"{N(Math.Max(x0, x1) + 4)}\" y=\"{N(y + 15)}\">{BenchReport.Format(ratio)}x</text>");
            if (f.Comparison.TargetRatio is { } target)
            {
                double xt = X(Math.Clamp(target, MinRatio, MaxRatio));
                Line(svg, $"<line x1=\"{N(xt)}\" y1=\"{N(y + 1)}\" x2=\"{N(xt)}\" y2=\"{N(y + RowHeight - 1)}\" stroke=\"#000\" stroke-width=\"2\"/>");
            }
        }
        Line(svg, "</svg>");
        File.WriteAllText(path, svg.ToString());
    }

    private static double X(double ratio) =>
        LabelWidth + (Math.Log2(ratio) - Math.Log2(MinRatio)) / (Math.Log2(MaxRatio) - Math.Log2(MinRatio)) * PlotWidth;

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder svg, string text) => svg.Append(text).Append('\n');
}
