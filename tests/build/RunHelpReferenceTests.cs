using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The options `glue run --help` prints and the reference in docs (docs/running.md's list of run's options and its
/// table of device options, docs/command-line.md's flags of every command) name the same options, both ways, so that
/// neither can drift from the other. A device option the manifest leaves out is not printed, and need not be.
/// </summary>
public sealed partial class RunHelpReferenceTests
{
    [GlueFact]
    public async Task Run_help_and_the_docs_name_the_same_options()
    {
        var run = await GlueBinary.RunAsync("run", "--help");
        Assert.True(run.ExitCode == 0, run.Describe());
        var printed = run.Stdout.Select(line => OptionLine().Match(line)).Where(m => m.Success)
            .SelectMany(m => Names(m.Groups[1].Value, ", ")).ToHashSet();
        Assert.Contains("--kernel", printed);   // the parse found the options at all

        string docs = Path.Combine(TestEnvironment.Repository, "docs");
        var running = Section(File.ReadAllLines(Path.Combine(docs, "running.md")), "## `glue run`'s options");
        var general = running.Where(line => line.StartsWith("- `-", StringComparison.Ordinal)).SelectMany(FirstSpans).ToHashSet();
        // A table cell escapes | as \|: the first cell, once those are gone, holds one code span per option.
        var devices = running.Where(line => line.StartsWith("| `-", StringComparison.Ordinal))
            .SelectMany(line => Spans(line.Replace("\\|", "/").Split('|')[1])).SelectMany(span => Names(span.Split(' ')[0], "/")).ToHashSet();
        var everyCommand = Section(File.ReadAllLines(Path.Combine(docs, "command-line.md")), "# The command line")
            .Where(line => line.StartsWith("- `-", StringComparison.Ordinal))
            .SelectMany(line => Spans(line).SelectMany(span => Names(span, ", "))).ToHashSet();
        var documented = general.Concat(devices).Concat(everyCommand).ToHashSet();

        Assert.Empty(printed.Except(documented).Order(StringComparer.Ordinal));
        Assert.Empty(general.Concat(everyCommand).Except(printed).Order(StringComparer.Ordinal));
        var manifest = Manifest.Load(TestEnvironment.ManifestPath, TestEnvironment.Repository);
        if (manifest.Absent.All(component => component.Kind != ComponentKind.Device))
            Assert.Empty(devices.Except(printed).Order(StringComparer.Ordinal));
    }

    /// <summary>The lines under <paramref name="heading"/>, up to the next heading of any level.</summary>
    private static List<string> Section(string[] lines, string heading) =>
        lines.SkipWhile(line => line != heading).Skip(1).TakeWhile(line => !line.StartsWith('#')).ToList();

    /// <summary>The names in a bullet's first code span, written `-k/--kernel KERNEL`.</summary>
    private static IEnumerable<string> FirstSpans(string line) => Spans(line).Take(1).SelectMany(span => Names(span.Split(' ')[0], "/"));

    /// <summary>The code spans in <paramref name="text"/> that start with an option, such as `--gpu [...]` and `--vnc ADDRESS`.</summary>
    private static IEnumerable<string> Spans(string text) =>
        CodeSpan().Matches(text).Select(m => m.Groups[1].Value).Where(span => span.StartsWith('-'));

    private static IEnumerable<string> Names(string text, string separator) =>
        text.Split(separator).Select(part => part.Trim().Split(' ', '<')[0]).Where(name => OptionName().IsMatch(name));

    /// <summary>An option's line in System.CommandLine's help: two spaces, its names and value, two or more spaces, its text.</summary>
    [GeneratedRegex(@"^  (-\S.*?)(?:\s{2,}|$)")]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^--?[A-Za-z?][A-Za-z-]*$")]
    private static partial Regex OptionName();
}
