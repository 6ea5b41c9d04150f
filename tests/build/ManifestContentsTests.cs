using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Glue.BuildTests;

/// <summary>A binary published from a manifest has exactly that manifest's devices and transports, and no trace of the others.</summary>
public partial class ManifestContentsTests
{
    private static Manifest Manifest => Manifest.Load(TestEnvironment.ManifestPath, TestEnvironment.Repository);

    [GlueFact]
    public async Task Version_names_the_manifest_and_exactly_its_components()
    {
        var manifest = Manifest;
        var run = await GlueBinary.RunAsync("--version");

        // A kind gets its line once the repository has a component of that kind, even if this manifest has none.
        var kinds = ComponentKind.All.Where(kind => manifest.Present.Concat(manifest.Absent).Any(c => c.Kind == kind));
        List<string> expected = [$"manifest: {manifest.Name}"];
        foreach (var kind in kinds)
            expected.Add($"{kind.VersionLabel}: {string.Join(",", manifest.PresentOf(kind).Select(c => c.ShortName).Order(StringComparer.Ordinal))}".TrimEnd());

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.StartsWith("glue ", run.Stdout.FirstOrDefault() ?? "");
        // "Comma-separated" allows a space after each comma.
        Assert.Equal(expected, run.Stdout.Skip(1).Select(line => CommaAndSpaces().Replace(line.TrimEnd(), ",")));
    }

    [GlueFact]
    public async Task Run_help_has_no_option_of_an_absent_component()
    {
        var run = await GlueBinary.RunAsync("run", "--help");

        Assert.True(run.ExitCode == 0, run.Describe());
        var help = string.Join('\n', run.Stdout);
        foreach (var component in Manifest.Absent)
            Assert.DoesNotContain($"[{component.ShortName}]", help);
    }

    /// <summary>
    /// Native AOT leaves in the image the metadata of what it compiled: the name of each assembly it took code from
    /// and the names of its types. So a component is in the binary exactly when its assembly's file name and its
    /// feature type (the one its [assembly: GlueDevice(typeof(...))] names) are in the binary's bytes. The present
    /// components must be found, which proves the search finds what is there; the absent ones must not be.
    /// </summary>
    [GlueFact]
    public void Image_holds_exactly_the_present_components()
    {
        var manifest = Manifest;
        var image = File.ReadAllBytes(TestEnvironment.Binary);
        List<string> Traces(Component component) =>
            [.. new[] { component.AssemblyFileName, FeatureTypeName(component) }.Where(name => image.AsSpan().IndexOf(Encoding.UTF8.GetBytes(name)) >= 0)];

        var missing = manifest.Present.Where(component => Traces(component).Count < 2)
            .Select(component => $"{component.ShortName} (found only: {string.Join(", ", Traces(component))})").ToList();
        var extra = manifest.Absent.Where(component => Traces(component).Count > 0)
            .Select(component => $"{component.ShortName} ({string.Join(", ", Traces(component))})").ToList();

        Assert.True(missing.Count == 0, $"{TestEnvironment.Binary} lacks {string.Join("; ", missing)}");
        Assert.True(extra.Count == 0, $"{TestEnvironment.Binary} holds {string.Join("; ", extra)}, which manifest {manifest.Name} leaves out");
    }

    /// <summary>The simple name of the type a component's sources register with [assembly: GlueDevice(typeof(...))].</summary>
    private static string FeatureTypeName(Component component)
    {
        var folder = Path.Combine(component.Kind.SourceFolder(TestEnvironment.Repository), component.DirName);
        var names = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(file => FeatureRegistration().Matches(File.ReadAllText(file)).Select(match => match.Groups[1].Value))
            .ToList();
        Assert.True(names.Count == 1, $"{folder} should register one feature with [assembly: GlueDevice(typeof(...))], found {names.Count}");
        return names[0].Split('.')[^1];
    }

    [GeneratedRegex(@"\[assembly:\s*GlueDevice\(typeof\(([\w.]+)\)\)\]")]
    private static partial Regex FeatureRegistration();

    [GeneratedRegex(@",\s+")]
    private static partial Regex CommaAndSpaces();
}
