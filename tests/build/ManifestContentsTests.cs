using System.Text;
using System.Text.RegularExpressions;
using Glue.Build;
using Xunit;

namespace Glue.BuildTests;

/// <summary>A binary published from a manifest has exactly that manifest's devices and transports, and no trace of the others.</summary>
public partial class ManifestContentsTests
{
    private static Manifest Manifest => Manifest.Load(TestEnvironment.ManifestPath, TestEnvironment.Repository);

    [GlueFact]
    public async Task VersionNamesTheManifestAndExactlyItsComponents()
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
    public async Task RunHelpHasNoOptionOfAnAbsentComponent()
    {
        var run = await GlueBinary.RunAsync("run", "--help");

        Assert.True(run.ExitCode == 0, run.Describe());
        var help = string.Join('\n', run.Stdout);
        foreach (var component in Manifest.Absent)
            Assert.DoesNotContain($"[{component.ShortName}]", help);
    }

    [GlueFact]
    public void BinaryBundlesExactlyThePresentAssemblies()
    {
        var manifest = Manifest;
        var binary = File.ReadAllBytes(TestEnvironment.Binary);
        bool Bundles(Component component) => binary.AsSpan().IndexOf(Encoding.UTF8.GetBytes(component.AssemblyFileName)) >= 0;

        var missing = manifest.Present.Where(component => !Bundles(component)).Select(component => component.AssemblyFileName).ToList();
        var extra = manifest.Absent.Where(Bundles).Select(component => component.AssemblyFileName).ToList();

        Assert.True(missing.Count == 0, $"{TestEnvironment.Binary} lacks {string.Join(", ", missing)}");
        Assert.True(extra.Count == 0, $"{TestEnvironment.Binary} holds {string.Join(", ", extra)}, which manifest {manifest.Name} leaves out");
    }

    [GeneratedRegex(@",\s+")]
    private static partial Regex CommaAndSpaces();
}
