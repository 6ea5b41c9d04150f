using System.Xml;
using System.Xml.Linq;

namespace Glue.TestSupport;

/// <summary>
/// A manifests/&lt;name&gt;.props file: which devices and transports one glue binary has, as MSBuild items named by
/// folder (`&lt;GlueDevice Include="Block" /&gt;`, `&lt;GlueTransport Include="Pci" /&gt;`); every other project folder
/// under src/Devices and src/Transports is absent. A manifest may import another and add to it (the seccomp trigger's
/// test build imports full.props): the items of the manifests it imports count as its own. This file is shared with the
/// build tests so both read manifests the same way.
/// </summary>
public sealed record Manifest(string Name, string Path, IReadOnlyList<Component> Present, IReadOnlyList<Component> Absent)
{
    public static Manifest Load(string path, string repositoryRoot)
    {
        var documents = WithImports(path);
        var present = new List<Component>();
        var absent = new List<Component>();
        foreach (var kind in ComponentKind.All)
        {
            var components = ComponentsOf(kind, repositoryRoot);
            var named = documents.SelectMany(document => Named(document, kind)).ToHashSet(StringComparer.Ordinal);
            // MSBuild would only warn of a reference to a project that is not there, and build without it.
            var unknown = named.Where(name => !File.Exists(kind.ProjectFile(repositoryRoot, name))).ToList();
            if (unknown.Count > 0)
                throw new InvalidDataException(
                    $"manifest {path} names {kind.ManifestItem} {string.Join(", ", unknown)}, which has no project {kind.SourceFolder(repositoryRoot)}/NAME/Glue.{kind.Folder}.NAME.csproj");
            present.AddRange(components.Where(c => named.Contains(c.DirName)));
            absent.AddRange(components.Where(c => !named.Contains(c.DirName)));
        }
        return new Manifest(System.IO.Path.GetFileNameWithoutExtension(path), System.IO.Path.GetFullPath(path), present, absent);
    }

    public IEnumerable<Component> PresentOf(ComponentKind kind) => Present.Where(c => c.Kind == kind);

    /// <summary>The folder names of the manifest's <paramref name="kind"/> items (MSBuild item names are case-insensitive; folder names are not).</summary>
    private static HashSet<string> Named(XDocument manifest, ComponentKind kind) =>
        manifest.Root!
            .Elements()
            .Where(element => element.Name.LocalName == "ItemGroup")
            .Elements()
            .Where(item => item.Name.LocalName.Equals(kind.ManifestItem, StringComparison.OrdinalIgnoreCase))
            .Select(item => ((string?)item.Attribute("Include") ?? "").Trim())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The manifest and, in turn, each one its &lt;Import Project="..."&gt; names (a path relative to the importing file).</summary>
    private static List<XDocument> WithImports(string path)
    {
        var document = Parse(path);
        var documents = new List<XDocument> { document };
        foreach (var import in document.Root!.Elements().Where(element => element.Name.LocalName == "Import"))
        {
            var project = ((string?)import.Attribute("Project") ?? "").Trim();
            documents.AddRange(WithImports(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, project)));
        }
        return documents;
    }

    private static XDocument Parse(string path)
    {
        try
        {
            return XDocument.Load(path);
        }
        catch (XmlException error)
        {
            throw new InvalidDataException($"manifest {path} is not valid XML: {error.Message}", error);
        }
    }

    private static List<Component> ComponentsOf(ComponentKind kind, string repositoryRoot)
    {
        var folder = kind.SourceFolder(repositoryRoot);
        if (!Directory.Exists(folder))
            return [];
        return Directory.GetDirectories(folder)
            .Select(System.IO.Path.GetFileName)
            .Where(dirName => File.Exists(kind.ProjectFile(repositoryRoot, dirName!)))
            .Select(dirName => Component.Of(kind, repositoryRoot, dirName!))
            .OrderBy(component => component.ShortName, StringComparer.Ordinal)
            .ToList();
    }
}
